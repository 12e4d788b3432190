package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestL2Pool(t *testing.T) {
	// Hand-computed: a 2x2 window over [[3,4],[0,0]] is sqrt((9+16)/4) =
	// 2.5; over [[1,1],[1,1]] 1; with RELU_N1_TO_1 2.5 becomes 1.
	g := cgeom{n: 1, h: 2, w: 4, cin: 1, fh: 2, fw: 2, sh: 2, sw: 2, dh: 1, dw: 1, pad: 1}
	x := []float64{3, 4, 1, 1, 0, 0, 1, 1}
	o := &bOp{op: ops.OpL2Pool2d, opts: poolOpts(g, ops.ActNone),
		ins: []*bT{bIn(models.Float32, []int{1, 2, 4, 1}, nil, x)}, out: &bT{dt: models.Float32, shape: []int{1, 1, 2, 1}}}
	bClose(t, "hand", o.mustRun(t, []int{1, 1, 2, 1}), []float64{2.5, 1}, 0, 0)
	o.opts = poolOpts(g, ops.ActReluN1To1)
	bClose(t, "hand relu_n1_to_1", o.mustRun(t, []int{1, 1, 2, 1}), []float64{1, 1}, 0, 0)

	r := rand.New(rand.NewPCG(91, 92))
	for i, g := range poolGeoms {
		act := ops.Activation(i % 4)
		name := fmt.Sprintf("%v_act%d", g, act)
		x := bRandF(r, g.n*g.h*g.w*g.cin, 3)
		sq := make([]float64, len(x))
		for j, v := range x {
			sq[j] = v * v
		}
		want := refPool(sq, g, true)
		for j := range want {
			want[j] = bActF(act, math.Sqrt(want[j]))
		}
		oh, ow, _, _ := g.out()
		shape := []int{g.n, oh, ow, g.cin}
		o := &bOp{op: ops.OpL2Pool2d, opts: poolOpts(g, act),
			ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x)}, out: &bT{dt: models.Float32, shape: shape}}
		bClose(t, name, o.mustRun(t, shape), want, 1e-5, 1e-5)
		if i == 1 {
			noAllocs(t, o)
		}
	}
}

func TestL2PoolErrors(t *testing.T) {
	g := poolGeoms[0]
	o := &bOp{op: ops.OpL2Pool2d, opts: poolOpts(g, ops.ActNone),
		ins: []*bT{bIn(models.Int8, []int{1, 4, 4, 1}, bQ(1, 0), make([]float64, 16))}, out: &bT{dt: models.Int8, shape: []int{1, 2, 2, 1}, q: bQ(1, 0)}}
	o.wantError(t, "L2_POOL_2D", "node 0", "int8 is not supported")
	o = &bOp{op: ops.OpL2Pool2d, opts: poolOpts(g, ops.ActNone),
		ins: []*bT{bIn(models.Float32, []int{4, 4, 1}, nil, make([]float64, 16))}, out: &bT{dt: models.Float32, shape: []int{1, 2, 2, 1}}}
	o.wantError(t, "L2_POOL_2D", "must be 4-D")
}
