package tflite_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// blockwiseModel is an int4 embedding table [3, 32] in blocks of 8 (with a
// zero point tensor, which the kernels ignore) feeding a FULLY_CONNECTED
// layer with an int4 filter [4, 32] in blocks of 16, both blockwise
// quantized. edit may change the details before the model is written.
func blockwiseModel(t testing.TB, edit func(b *build.Builder, table, filter int, tbw, fbw *build.Blockwise)) []byte {
	b := build.New()
	ids := b.Input("ids", models.Int32, []int{2}, nil)
	tdata := make(build.Raw, 3*32/2)
	for i := range tdata {
		tdata[i] = byte(i*29 + 3)
	}
	table := b.Const("table", models.Int4, []int{3, 32}, tdata, nil)
	tscales := make([]uint16, 3*4)
	for i := range tscales {
		tscales[i] = 0x3800 + uint16(i)<<6 // float16 0.5 and up
	}
	ts := b.Const("table_scales", models.Float16, []int{3, 4}, halfRaw(tscales...), nil)
	tz := b.Const("table_zero_points", models.Int8, []int{3, 4}, make([]int8, 12), nil)
	emb := b.Tensor("emb", models.Float32, []int{2, 32}, nil)
	b.Op(ops.OpEmbeddingLookup, 4, []int{ids, table}, []int{emb}, build.Options{})

	fdata := make(build.Raw, 4*32/2)
	for i := range fdata {
		fdata[i] = byte(i*37 + 11)
	}
	filter := b.Const("filter", models.Int4, []int{4, 32}, fdata, nil)
	fs := b.Const("filter_scales", models.Float16, []int{4, 2}, halfRaw(0x3400, 0x3800, 0x3c00, 0x4000, 0x3000, 0x3a00, 0x3e00, 0x3c00), nil)
	bias := b.Const("bias", models.Float32, []int{4}, []float32{0.5, -1, 0, 2}, nil)
	y := b.Tensor("y", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpFullyConnected, 1, []int{emb, filter, bias}, []int{y}, build.Options{Type: build.OptFullyConnected})
	b.Output(y)

	tbw := build.Blockwise{Scales: int32(ts), ZeroPoints: int32(tz), BlockSize: 8}
	fbw := build.Blockwise{Scales: int32(fs), ZeroPoints: -1, BlockSize: 16}
	if edit != nil {
		edit(b, table, filter, &tbw, &fbw)
	}
	b.SetBlockwise(table, tbw)
	b.SetBlockwise(filter, fbw)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// halfRaw is float16 bit patterns as constant data.
func halfRaw(v ...uint16) build.Raw {
	b := make(build.Raw, 2*len(v))
	for i, x := range v {
		b[2*i], b[2*i+1] = byte(x), byte(x>>8)
	}
	return b
}

// blockwiseSeeds seed FuzzLoad and the corruption test with the
// blockwise-quantized embedding and fully connected paths.
func blockwiseSeeds(t testing.TB) [][]byte {
	return [][]byte{blockwiseModel(t, nil)}
}

// TestBlockwiseSeedRuns runs the seed, then resizes its ids from 2 to 3:
// the nodes are prepared again and every output row still depends only on
// its id (each row is quantized on its own).
func TestBlockwiseSeedRuns(t *testing.T) {
	it, err := tflite.Load(blockwiseModel(t, nil), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	ctx := context.Background()
	copy(it.Input(0), []byte{2, 0, 0, 0, 1, 0, 0, 0})
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	first := append([]float32(nil), models.Float32s(it.Output(0))...)
	if err := it.ResizeInput(0, []int{3}); err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), []byte{1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0})
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	y := models.Float32s(it.Output(0))
	row2, row1 := first[:4], first[4:8]
	want := append(append(append([]float32{}, row1...), row2...), row1...)
	if len(y) != 12 || !slices.Equal(y, want) {
		t.Fatalf("after resize: %v, want %v (rows of %v)", y, want, first)
	}
	if slices.Equal(row1, row2) {
		t.Fatalf("ids 1 and 2 give the same row %v", row1)
	}
}

// TestBlockwiseLoadErrors checks that malformed blockwise details are
// refused at load with the tensor and the field named.
func TestBlockwiseLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(b *build.Builder, table, filter int, tbw, fbw *build.Blockwise)
		want []string
	}{
		{"zero block size", func(_ *build.Builder, _, _ int, tbw, _ *build.Blockwise) { tbw.BlockSize = 0 },
			[]string{`tensor 1 ("table")`, `blockwise: field "block_size": 0 must be positive`}},
		{"block size not dividing", func(_ *build.Builder, _, _ int, _, fbw *build.Blockwise) { fbw.BlockSize = 12 },
			[]string{`("filter")`, `field "block_size": 12 does not divide the last dimension 32 of shape [4 32]`}},
		{"scales out of range", func(_ *build.Builder, _, _ int, tbw, _ *build.Blockwise) { tbw.Scales = 99 },
			[]string{`("table")`, `field "scales": tensor 99 does not exist`}},
		{"negative scales", func(_ *build.Builder, _, _ int, tbw, _ *build.Blockwise) { tbw.Scales = -1 },
			[]string{`field "scales": tensor -1 does not exist`}},
		{"scales not constant", func(b *build.Builder, _, _ int, tbw, _ *build.Blockwise) {
			tbw.Scales = int32(b.Input("s", models.Float16, []int{3, 4}, nil))
		}, []string{`field "scales": tensor`, `("s") is not a constant`}},
		{"scales wrong count", func(_ *build.Builder, _, _ int, _, fbw *build.Blockwise) { fbw.BlockSize = 8 },
			[]string{`("filter")`, `field "scales"`, `has shape [4 2], want 16 elements (one per block of 8 in shape [4 32])`}},
		{"scales not float16", func(b *build.Builder, _, _ int, tbw, _ *build.Blockwise) {
			tbw.Scales = int32(b.Const("s32", models.Float32, []int{3, 4}, make([]float32, 12), nil))
		}, []string{`field "scales"`, `("s32") is float32, not float16`}},
		{"scales are the tensor", func(_ *build.Builder, table, _ int, tbw, _ *build.Blockwise) { tbw.Scales = int32(table) },
			[]string{`field "scales"`, "is the quantized tensor itself"}},
		{"zero points out of range", func(_ *build.Builder, _, _ int, tbw, _ *build.Blockwise) { tbw.ZeroPoints = -2 },
			[]string{`field "zero_points": tensor -2 does not exist`}},
		{"zero points wrong count", func(_ *build.Builder, _, _ int, _, fbw *build.Blockwise) { fbw.ZeroPoints = fbw.Scales + 1 },
			[]string{`("filter")`, `field "zero_points"`, `("bias") has shape [4], want 8 elements`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tflite.Load(blockwiseModel(t, tc.edit), models.Options{})
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			for _, w := range append([]string{"quantization: blockwise"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
