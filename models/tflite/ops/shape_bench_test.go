package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Benchmarks of the data-movement kernels on typical edge-model shapes, run
// through the interpreter (one Invoke per iteration).
//
//	go test ./models/tflite/ops -run XXX -bench 'Shape|Slicing' -benchmem

// benchInvoke fills the inputs with a byte pattern, or with the given data.
func benchInvoke(b *testing.B, m *build.Builder, bytes int, data ...[]byte) {
	it := load(b, m)
	ctx := context.Background()
	for i := range it.Inputs() {
		in := it.Input(i)
		for k := range in {
			in[k] = byte(k * 7)
		}
		if i < len(data) && data[i] != nil {
			copy(in, data[i])
		}
	}
	if err := it.Invoke(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := it.Invoke(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShapeConcatChannels(b *testing.B) {
	// Four NHWC feature maps joined on channels, as in inception/SSD heads.
	shapes := [][]int{{1, 32, 32, 16}, {1, 32, 32, 8}, {1, 32, 32, 24}, {1, 32, 32, 16}}
	m := buildJoin(models.Float32, ops.OpConcatenation, opts(build.OptConcatenation, int32(3)), shapes, []int{1, 32, 32, 64}, nil, nil)
	benchInvoke(b, m, 32*32*64*4)
}

func BenchmarkShapeConcatRequantUint8(b *testing.B) {
	shapes := [][]int{{1, 32, 32, 32}, {1, 32, 32, 32}}
	q := []*models.Quant{{Scale: []float32{0.05}, ZeroPoint: []int64{128}}, {Scale: []float32{0.1}, ZeroPoint: []int64{120}}}
	m := buildJoin(models.UInt8, ops.OpConcatenation, opts(build.OptConcatenation, int32(3)), shapes, []int{1, 32, 32, 64}, q, &models.Quant{Scale: []float32{0.1}, ZeroPoint: []int64{120}})
	benchInvoke(b, m, 32*32*64)
}

func BenchmarkShapeTransposeNHWCToNCHW(b *testing.B) {
	m := unary(models.Float32, []int{1, 32, 32, 32}, []int{1}, ops.OpTranspose, 1, build.Options{}, constI32("perm", []int{4}, 0, 3, 1, 2))
	benchInvoke(b, m, 32*32*32*4)
}

func BenchmarkShapeTileInt8(b *testing.B) {
	m := unary(models.Int8, []int{1, 8, 8, 16}, []int{1}, ops.OpTile, 1, build.Options{}, constI32("multiples", []int{4}, 1, 4, 4, 2))
	benchInvoke(b, m, 32*32*32)
}

func BenchmarkShapeResizeBilinearF32(b *testing.B) {
	m := buildResize(ops.OpResizeBilinear, models.Float32, resizeCase{[]int{1, 16, 16, 32}, 32, 32, false, true}, false)
	benchInvoke(b, m, 32*32*32*4)
}

func BenchmarkShapeResizeBilinearInt8(b *testing.B) {
	m := buildResize(ops.OpResizeBilinear, models.Int8, resizeCase{[]int{1, 16, 16, 32}, 32, 32, false, true}, false)
	benchInvoke(b, m, 32*32*32)
}

func BenchmarkShapeResizeNearestInt8(b *testing.B) {
	m := buildResize(ops.OpResizeNearestNeighbor, models.Int8, resizeCase{[]int{1, 16, 16, 32}, 32, 32, false, false}, false)
	benchInvoke(b, m, 32*32*32)
}

func BenchmarkSlicingPadNHWC(b *testing.B) {
	m := unary(models.Int8, []int{1, 32, 32, 16}, []int{1}, ops.OpPad, 1, build.Options{}, constI32("paddings", []int{4, 2}, 0, 0, 1, 1, 1, 1, 0, 0))
	benchInvoke(b, m, 34*34*16)
}

func BenchmarkSlicingMirrorPadF32(b *testing.B) {
	m := unary(models.Float32, []int{1, 32, 32, 16}, []int{1}, ops.OpMirrorPad, 1, opts(build.OptMirrorPad, int8(0)), constI32("paddings", []int{4, 2}, 0, 0, 2, 2, 2, 2, 0, 0))
	benchInvoke(b, m, 36*36*16*4)
}

func BenchmarkSlicingStridedSliceInt16(b *testing.B) {
	// seanet: drop the first rows of a [1, 8, 166, 2] activation.
	sp := ssSpec{begin: []int{0, 2, 0, 0}, end: []int{1, 8, 166, 2}, strides: []int{1, 1, 1, 1}}
	benchInvoke(b, buildStridedSlice(models.Int16, []int{1, 8, 166, 2}, sp), 6*166*2*2)
}

func BenchmarkSlicingStridedSliceStep2(b *testing.B) {
	sp := ssSpec{begin: []int{0, 0, 0, 0}, end: []int{1, 64, 64, 8}, strides: []int{1, 2, 2, 1}}
	benchInvoke(b, buildStridedSlice(models.Float32, []int{1, 64, 64, 8}, sp), 32*32*8*4)
}

func BenchmarkSlicingGatherEmbedding(b *testing.B) {
	m := buildGather(models.Float32, models.Int32, []int{1000, 64}, []int{256}, 0, 0)
	idx := make([]float64, 256)
	for i := range idx {
		idx[i] = float64(i * 37 % 1000)
	}
	benchInvoke(b, m, 256*64*4, nil, encode(models.Int32, idx))
}

func BenchmarkSlicingSplitChannels(b *testing.B) {
	benchInvoke(b, buildSplit(models.Float32, []int{1, 32, 32, 64}, 3, []int{16, 16, 16, 16}, false), 32*32*64*4)
}
