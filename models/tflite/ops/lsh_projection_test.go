package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

var lshSeeds = []float32{0.123, 0.456, -0.321, 1.234, 5.678, -4.321}

func lshModel(t *testing.T, typ int8, ishape []int, in []int32, weights []float32) (*tflite.Interpreter, error) {
	t.Helper()
	b := build.New()
	h := b.Const("hash", models.Float32, []int{3, 2}, lshSeeds, nil)
	x := b.Input("x", models.Int32, ishape, nil)
	ins := []int{h, x}
	if weights != nil {
		ins = append(ins, b.Const("weight", models.Float32, []int{len(weights)}, weights, nil))
	}
	out := b.Tensor("out", models.Int32, []int{6}, nil)
	b.Op(ops.OpLshProjection, 1, ins, []int{out}, build.Options{Type: build.OptLSHProjection, Fields: []build.Field{{Slot: 0, Value: typ}}})
	b.Output(out)
	it, err := ewtLoad(t, b)
	if err == nil {
		copy(it.Input(0), encode(models.Int32, toF64(in)))
	}
	return it, err
}

func toF64(v []int32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestLSHProjection reproduces the outputs of TFLite's own kernel tests
// (lsh_projection_test.cc, little-endian): the bits depend on every
// Fingerprint64 of seed and row, so they check the hash, the key layout,
// the weighting and the packing together.
func TestLSHProjection(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		typ     int8
		ishape  []int
		in      []int32
		weights []float32
		want    []float64
	}{
		{"dense 1-D weighted", 2, []int{5}, []int32{12345, 54321, 67890, 9876, -12345678}, []float32{1, 1, 1, 1, 1}, []float64{0, 0, 0, 1, 0, 0}},
		{"sparse 1-D", 1, []int{5}, []int32{12345, 54321, 67890, 9876, -12345678}, nil, []float64{0 + 0, 4 + 1, 8 + 0}},
		{"sparse 3-D weighted", 1, []int{5, 2, 2}, []int32{1234, 2345, 3456, 1234, 4567, 5678, 6789, 4567, 7891, 8912,
			9123, 7890, -987, -876, -765, -987, -543, -432, -321, -543}, []float32{0.12, 0.34, 0.56, 0.67, 0.78}, []float64{0 + 2, 4 + 1, 8 + 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			it, err := lshModel(t, c.typ, c.ishape, c.in, c.weights)
			if err != nil {
				t.Fatal(err)
			}
			if err := it.Invoke(ctx); err != nil {
				t.Fatal(err)
			}
			ewtCompare(t, "out", []int{len(c.want)}, decode(models.Int32, it.Output(0)), c.want, 0)
			if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
				t.Errorf("%v allocations per Invoke", a)
			}
		})
	}
}

func TestLSHProjectionErrors(t *testing.T) {
	_, err := lshModel(t, 0, []int{5}, make([]int32, 5), nil)
	ewtWantErr(t, err, ops.OpLshProjection, "node 0", "projection type 0 is neither SPARSE (1) nor DENSE (2)")
	_, err = lshModel(t, 2, []int{5}, make([]int32, 5), []float32{1, 2})
	ewtWantErr(t, err, ops.OpLshProjection, "node 0", `weight tensor "weight" must be 1-D float32 with 5 elements`)

	b := build.New()
	h := b.Const("hash", models.Float32, []int{1, 32}, make([]float32, 32), nil)
	x := b.Input("x", models.Int32, []int{1}, nil)
	out := b.Tensor("out", models.Int32, []int{1}, nil)
	b.Op(ops.OpLshProjection, 1, []int{h, x}, []int{out}, build.Options{Type: build.OptLSHProjection, Fields: []build.Field{{Slot: 0, Value: int8(1)}}})
	b.Output(out)
	_, err = ewtLoad(t, b)
	ewtWantErr(t, err, ops.OpLshProjection, "node 0", "32 bits per hash is undefined")
}
