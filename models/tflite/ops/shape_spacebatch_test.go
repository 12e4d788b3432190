package ops_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func sbtI32(shape []int, v ...float64) ewtT {
	return ewtT{dt: models.Int32, shape: shape, vals: v, konst: true}
}

func sbtRun(t *testing.T, op ops.Op, in, block, pads ewtT, out ewtT) ([]int, []float64) {
	t.Helper()
	_, shape, got := ewtRun(t, op, 1, build.Options{}, []ewtT{in, block, pads}, out)
	if !slices.Equal(shape, out.shape) {
		t.Fatalf("%s: output shape %v, want %v", op, shape, out.shape)
	}
	return shape, got
}

// The 4x4 image 1..16 split into 2x2 blocks: each output batch holds every
// second pixel starting at (sh, sw), batch index (sh*2+sw).
var (
	sbtImage   = []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	sbtBatches = []float64{1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16}
)

func TestSpaceToBatchND(t *testing.T) {
	for _, c := range []struct {
		dt models.DType
		q  *models.Quant
	}{{models.Float32, nil}, {models.Int32, nil}, {models.Int64, nil}, {models.Int8, ewtQ(0.5, -3)}, {models.UInt8, ewtQ(0.5, 5)}, {models.Int16, ewtQ(0.5, 0)}} {
		name := fmt.Sprintf("SPACE_TO_BATCH_ND/%s", c.dt)
		in := ewtT{dt: c.dt, shape: []int{1, 4, 4, 1}, q: c.q, vals: sbtImage}
		shape, got := sbtRun(t, ops.OpSpaceToBatchNd, in, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: c.dt, shape: []int{4, 2, 2, 1}, q: c.q})
		ewtCompare(t, name, shape, got, sbtBatches, 0)

		// Padding one pixel all round: the 2x2 image 1..4 lands in the
		// middle of a 4x4 frame of zero points.
		z := 0.0
		if c.q != nil {
			z = float64(c.q.ZeroPoint[0])
		}
		in = ewtT{dt: c.dt, shape: []int{1, 2, 2, 1}, q: c.q, vals: []float64{1, 2, 3, 4}}
		shape, got = sbtRun(t, ops.OpSpaceToBatchNd, in, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 1, 1, 1, 1), ewtT{dt: c.dt, shape: []int{4, 2, 2, 1}, q: c.q})
		ewtCompare(t, name+"/padded", shape, got, []float64{z, z, z, 4, z, z, 3, z, z, 2, z, z, 1, z, z, z}, 0)

		// And back, cropping the frame away.
		shape, got = sbtRun(t, ops.OpBatchToSpaceNd, ewtT{dt: c.dt, shape: []int{4, 2, 2, 1}, q: c.q, vals: got}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 1, 1, 1, 1), ewtT{dt: c.dt, shape: []int{1, 2, 2, 1}, q: c.q})
		ewtCompare(t, "BATCH_TO_SPACE_ND/"+c.dt.String()+"/cropped", shape, got, []float64{1, 2, 3, 4}, 0)

		shape, got = sbtRun(t, ops.OpBatchToSpaceNd, ewtT{dt: c.dt, shape: []int{4, 2, 2, 1}, q: c.q, vals: sbtBatches}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: c.dt, shape: []int{1, 4, 4, 1}, q: c.q})
		ewtCompare(t, "BATCH_TO_SPACE_ND/"+c.dt.String(), shape, got, sbtImage, 0)
	}
}

func TestSpaceBatchBatchesAndDepth(t *testing.T) {
	// Two input batches interleave: output batch = shift*2 + batch.
	in := ewtT{dt: models.Float32, shape: []int{2, 2, 2, 1}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	shape, got := sbtRun(t, ops.OpSpaceToBatchNd, in, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: models.Float32, shape: []int{8, 1, 1, 1}})
	ewtCompare(t, "SPACE_TO_BATCH_ND batches", shape, got, []float64{1, 5, 2, 6, 3, 7, 4, 8}, 0)
	shape, got = sbtRun(t, ops.OpBatchToSpaceNd, ewtT{dt: models.Float32, shape: []int{8, 1, 1, 1}, vals: got}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: models.Float32, shape: []int{2, 2, 2, 1}})
	ewtCompare(t, "BATCH_TO_SPACE_ND batches", shape, got, in.vals, 0)

	// Depth 2 rows move together; 3D input [N,H,C] has one spatial block.
	in = ewtT{dt: models.Int32, shape: []int{1, 4, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	shape, got = sbtRun(t, ops.OpSpaceToBatchNd, in, sbtI32([]int{1}, 2), sbtI32([]int{1, 2}, 0, 0), ewtT{dt: models.Int32, shape: []int{2, 2, 2}})
	ewtCompare(t, "SPACE_TO_BATCH_ND 3D", shape, got, []float64{1, 2, 5, 6, 3, 4, 7, 8}, 0)
	shape, got = sbtRun(t, ops.OpBatchToSpaceNd, ewtT{dt: models.Int32, shape: []int{2, 2, 2}, vals: got}, sbtI32([]int{1}, 2), sbtI32([]int{1, 2}, 0, 1), ewtT{dt: models.Int32, shape: []int{1, 3, 2}})
	ewtCompare(t, "BATCH_TO_SPACE_ND 3D cropped", shape, got, []float64{1, 2, 3, 4, 5, 6}, 0)
}

func TestSpaceBatchDynamic(t *testing.T) {
	// block_shape and paddings as graph inputs: the output shape is only
	// known at Invoke.
	block := ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{2, 2}}
	pads := ewtT{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 0, 0, 0}}
	in := ewtT{dt: models.Float32, shape: []int{1, 4, 4, 1}, vals: sbtImage}
	_, shape, got := ewtRun(t, ops.OpSpaceToBatchNd, 2, build.Options{}, []ewtT{in, block, pads}, ewtT{dt: models.Float32, shape: []int{4, 2, 2, 1}})
	if !slices.Equal(shape, []int{4, 2, 2, 1}) {
		t.Fatalf("dynamic output shape %v", shape)
	}
	ewtCompare(t, "SPACE_TO_BATCH_ND dynamic", shape, got, sbtBatches, 0)

	block.vals = []float64{0, 2}
	err := ewtErr(t, ops.OpSpaceToBatchNd, 2, build.Options{}, []ewtT{in, block, pads}, ewtT{dt: models.Float32, shape: []int{4, 2, 2, 1}})
	ewtWantErr(t, err, ops.OpSpaceToBatchNd, "block_shape[0] is 0")
}

func TestSpaceBatchErrors(t *testing.T) {
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	out := ewtT{dt: models.Float32, shape: []int{4, 2, 2, 1}}
	s2b, b2s := ops.OpSpaceToBatchNd, ops.OpBatchToSpaceNd
	for _, c := range []struct {
		op       ops.Op
		in       ewtT
		block    ewtT
		pads     ewtT
		out      ewtT
		fragment string
	}{
		{s2b, f(1, 3, 4, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), out, "padded spatial size 3x4 is not a multiple of block_shape 2x2"},
		{s2b, f(1, 4, 4, 1), sbtI32([]int{2}, 2, -1), sbtI32([]int{2, 2}, 0, 0, 0, 0), out, "block_shape[1] is -1"},
		{s2b, f(1, 4, 4, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, -2, 0, 0), out, "paddings[0][1] is -2"},
		{s2b, f(1, 4, 4, 1), sbtI32([]int{3}, 2, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), out, "block_shape has shape [3], want [2]"},
		{s2b, f(1, 4, 4, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 3}, 0, 0, 0, 0, 0, 0), out, "paddings has shape [2 3]"},
		{s2b, f(1, 1, 4, 4, 1), sbtI32([]int{3}, 1, 2, 2), sbtI32([]int{3, 2}, 0, 0, 0, 0, 0, 0), out, "input has 5 dimensions"},
		{s2b, f(1, 4, 4, 1), ewtT{dt: models.Int64, shape: []int{2}, vals: []float64{2, 2}, konst: true}, sbtI32([]int{2, 2}, 0, 0, 0, 0), out, "must be int32"},
		{b2s, f(3, 2, 2, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), out, "input batch 3 is not a multiple of the block size 4"},
		{b2s, f(4, 2, 2, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 3, 2, 0, 0), out, "crops [3 2 0 0] leave output size -1x4"},
		{b2s, f(4, 2, 2, 1), sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, -1), out, "crops[1][1] is -1"},
		{s2b, ewtT{dt: models.Int8, shape: []int{1, 4, 4, 1}, q: ewtQ(0.5, 1), vals: make([]float64, 16)}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: models.Int8, shape: []int{4, 2, 2, 1}, q: ewtQ(0.5, 2)}, "quantization differ"},
		{s2b, ewtT{dt: models.Int16, shape: []int{1, 4, 4, 1}, q: ewtQ(0.5, 1), vals: make([]float64, 16)}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: models.Int16, shape: []int{4, 2, 2, 1}, q: ewtQ(0.5, 1)}, "zero point 1, want 0"},
		{s2b, ewtT{dt: models.Bool, shape: []int{1, 4, 4, 1}, vals: make([]float64, 16)}, sbtI32([]int{2}, 2, 2), sbtI32([]int{2, 2}, 0, 0, 0, 0), ewtT{dt: models.Bool, shape: []int{4, 2, 2, 1}}, "input type bool is not supported"},
	} {
		err := ewtErr(t, c.op, 1, build.Options{}, []ewtT{c.in, c.block, c.pads}, c.out)
		ewtWantErr(t, err, c.op, c.fragment)
	}
}
