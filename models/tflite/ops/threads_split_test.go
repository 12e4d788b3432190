package ops_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestSplitOpsMatchOneThread runs layers large enough to be split over two
// threads on every kernel path (more work than the largest split
// threshold) and requires the same outputs as on one thread: the split
// hands out whole rows or channel blocks, so even float sums keep their
// order.
func TestSplitOpsMatchOneThread(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	q := func(s float64, zp int64) *models.Quant { return bQ(s, zp) }
	conv := cgeom{n: 1, h: 20, w: 20, cin: 32, cout: 64, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1} // 7.4M MACs
	dw := cgeom{n: 1, h: 96, w: 96, cin: 32, cout: 32, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0}              // 2.7M MACs
	pool := cgeom{n: 1, h: 96, w: 96, cin: 32, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0}
	convOut := func(g cgeom) []int { oh, ow, _, _ := g.out(); return []int{g.n, oh, ow, g.cout} }
	poolOut := func(g cgeom) []int { oh, ow, _, _ := g.out(); return []int{g.n, oh, ow, g.cin} }
	const k, units, batches = 1024, 1024, 2 // 2.1M MACs

	cases := []struct {
		name  string
		op    *bOp
		shape []int
	}{
		{"conv_float", &bOp{op: ops.OpConv2d, version: 1, opts: convOpts(conv, ops.ActRelu),
			ins: []*bT{bIn(models.Float32, []int{1, 20, 20, 32}, nil, bRandF(r, 20*20*32, 2)),
				bConst(models.Float32, []int{64, 3, 3, 32}, nil, bRandF(r, 64*9*32, 1)),
				bConst(models.Float32, []int{64}, nil, bRandF(r, 64, 1))},
			out: &bT{dt: models.Float32, shape: convOut(conv)}}, convOut(conv)},
		{"conv_int8", &bOp{op: ops.OpConv2d, version: 3, opts: convOpts(conv, ops.ActNone),
			ins: []*bT{bIn(models.Int8, []int{1, 20, 20, 32}, q(0.05, 3), bRandQ(r, 20*20*32, -128, 127)),
				bConst(models.Int8, []int{64, 3, 3, 32}, bQC(slices.Repeat([]float64{0.01, 0.02}, 32), 0), bRandQ(r, 64*9*32, -127, 127)),
				bConst(models.Int32, []int{64}, bQ(0.0005, 0), bRandQ(r, 64, -3000, 3000))},
			out: &bT{dt: models.Int8, shape: convOut(conv), q: q(2, -5)}}, convOut(conv)},
		{"depthwise_int8", &bOp{op: ops.OpDepthwiseConv2d, version: 3, opts: dwOpts(dw, ops.ActNone),
			ins: []*bT{bIn(models.Int8, []int{1, 96, 96, 32}, q(0.05, -7), bRandQ(r, 96*96*32, -128, 127)),
				bConst(models.Int8, []int{1, 3, 3, 32}, bQC(slices.Repeat([]float64{0.01, 0.03}, 16), 3), bRandQ(r, 9*32, -127, 127)),
				bConst(models.Int32, []int{32}, bQ(0.0005, 0), bRandQ(r, 32, -3000, 3000))},
			out: &bT{dt: models.Int8, shape: convOut(dw), q: q(0.1, 2)}}, convOut(dw)},
		{"avgpool_int8", &bOp{op: ops.OpAveragePool2d, opts: poolOpts(pool, ops.ActNone),
			ins: []*bT{bIn(models.Int8, []int{1, 96, 96, 32}, q(0.05, 1), bRandQ(r, 96*96*32, -128, 127))},
			out: &bT{dt: models.Int8, shape: poolOut(pool), q: q(0.05, 1)}}, poolOut(pool)},
		{"fc_int8", &bOp{op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
			ins: []*bT{bIn(models.Int8, []int{batches, k}, q(0.05, 4), bRandQ(r, batches*k, -128, 127)),
				bConst(models.Int8, []int{units, k}, q(0.01, 0), bRandQ(r, units*k, -127, 127))},
			out: &bT{dt: models.Int8, shape: []int{batches, units}, q: q(4, 0)}}, []int{batches, units}},
	}
	for _, c := range cases {
		c.op.threads = 1
		want := c.op.mustRun(t, c.shape)
		c.op.threads = 2
		got := c.op.mustRun(t, c.shape)
		if !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: element %d is %v on two threads, %v on one", c.name, i, got[i], want[i])
				}
			}
		}
		if s := fmt.Sprint(slices.Min(want), slices.Max(want)); s == "0 0" {
			t.Fatalf("%s: all outputs zero, the comparison proves nothing", c.name)
		}
	}
}
