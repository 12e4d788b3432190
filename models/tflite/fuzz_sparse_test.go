package tflite_test

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// sparseSeeds are FuzzLoad seeds with sparse constants: block-sparse
// weights with uint16 indices densified into a FULLY_CONNECTED, and a
// column-major CSR constant with uint8 indices, so mutations reach the
// sparsity decoder and DENSIFY.
func sparseSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}

	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 4}, nil)
	ws := b.Const("w_sparse", models.Float32, []int{4, 4}, f32Raw(1, 2, 3, 4, 5, 6), nil)
	b.SetSparsity(ws, build.Sparsity{TraversalOrder: []int32{0, 1, 2}, BlockMap: []int32{1}, Dims: []build.SparseDim{
		{DenseSize: 4},
		{CSR: true, Segments: []int32{0, 1, 1, 2, 3}, Indices: []int32{0, 1, 0}, IndexWidth: 2},
		{DenseSize: 2}}})
	w := b.Tensor("w", models.Float32, []int{4, 4}, nil)
	b.Op(ops.OpDensify, 1, []int{ws}, []int{w}, build.Options{})
	y := b.Tensor("y", models.Float32, []int{1, 4}, nil)
	b.Op(ops.OpFullyConnected, 1, []int{x, w, -1}, []int{y}, build.Options{Type: build.OptFullyConnected})
	b.Output(y)
	add(b)

	b = build.New()
	ws = b.Const("w_sparse", models.Int8, []int{2, 3}, build.Raw{7, 8, 9}, nil)
	b.SetSparsity(ws, build.Sparsity{TraversalOrder: []int32{1, 0}, Dims: []build.SparseDim{
		{DenseSize: 3},
		{CSR: true, Segments: []int32{0, 1, 1, 3}, Indices: []int32{1, 0, 1}, IndexWidth: 1}}})
	w = b.Tensor("w", models.Int8, []int{2, 3}, nil)
	b.Op(ops.OpDensify, 1, []int{ws}, []int{w}, build.Options{})
	b.Output(w)
	add(b)
	return out
}

func f32Raw(v ...float32) build.Raw {
	var out []byte
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

// TestSparseSeedsRun: the seeds load and compute what their sparse
// constants spell out, so the fuzzer starts from working models.
func TestSparseSeedsRun(t *testing.T) {
	seeds := sparseSeeds(t)
	it, err := tflite.Load(seeds[0], models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	// Dense weights [[1 2 0 0] [0 0 0 0] [0 0 3 4] [5 6 0 0]]; x = [1 1 1 1]
	// gives the row sums.
	copy(it.Input(0), f32Raw(1, 1, 1, 1))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := models.Float32s(it.Output(0)); !slices.Equal(got, []float32{3, 0, 7, 11}) {
		t.Errorf("block-sparse FULLY_CONNECTED: got %v, want [3 0 7 11]", got)
	}
	it2, err := tflite.Load(seeds[1], models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it2.Close()
	if err := it2.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := it2.Output(0); !slices.Equal(got, []byte{0, 0, 8, 7, 0, 9}) {
		t.Errorf("column-major CSR: got %v, want [0 0 8 7 0 9]", got)
	}
}
