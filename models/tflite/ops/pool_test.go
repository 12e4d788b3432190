package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refPool averages or maximizes over the window positions inside the
// input (padding is never counted).
func refPool(x []float64, g cgeom, avg bool) []float64 {
	oh, ow, pt, pl := g.out()
	out := make([]float64, g.n*oh*ow*g.cin)
	for b := 0; b < g.n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for c := 0; c < g.cin; c++ {
					s, cnt, m := 0.0, 0, math.Inf(-1)
					for ky := 0; ky < g.fh; ky++ {
						for kx := 0; kx < g.fw; kx++ {
							iy, ix := oy*g.sh-pt+ky, ox*g.sw-pl+kx
							if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
								continue
							}
							v := x[((b*g.h+iy)*g.w+ix)*g.cin+c]
							s, cnt, m = s+v, cnt+1, math.Max(m, v)
						}
					}
					r := m
					if avg {
						r = s / float64(cnt)
					}
					out[((b*oh+oy)*ow+ox)*g.cin+c] = r
				}
			}
		}
	}
	return out
}

func poolOpts(g cgeom, act ops.Activation) build.Options {
	return bOpts(build.OptPool2D, 0, int8(g.pad), 1, int32(g.sw), 2, int32(g.sh), 3, int32(g.fw), 4, int32(g.fh), 5, int8(act))
}

var poolGeoms = []cgeom{
	{n: 1, h: 4, w: 4, cin: 1, fh: 2, fw: 2, sh: 2, sw: 2, dh: 1, dw: 1, pad: 1},
	{n: 2, h: 5, w: 7, cin: 3, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0},
	{n: 1, h: 6, w: 5, cin: 4, fh: 3, fw: 2, sh: 1, sw: 2, dh: 1, dw: 1, pad: 0},
	{n: 1, h: 25, w: 5, cin: 8, fh: 25, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pad: 1},
	{n: 1, h: 3, w: 3, cin: 2, fh: 5, fw: 5, sh: 3, sw: 3, dh: 1, dw: 1, pad: 0},
}

func TestPoolFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for i, g := range poolGeoms {
		for _, op := range []ops.Op{ops.OpAveragePool2d, ops.OpMaxPool2d} {
			act := ops.Activation(i % 4)
			name := fmt.Sprintf("%s_%v_act%d", op, g, act)
			t.Run(name, func(t *testing.T) {
				x := bRandF(r, g.n*g.h*g.w*g.cin, 3)
				oh, ow, _, _ := g.out()
				shape := []int{g.n, oh, ow, g.cin}
				want := refPool(x, g, op == ops.OpAveragePool2d)
				for j := range want {
					want[j] = bActF(act, want[j])
				}
				o := &bOp{op: op, opts: poolOpts(g, act), threads: 1 + i%2,
					ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x)},
					out: &bT{dt: models.Float32, shape: shape}}
				bClose(t, name, o.mustRun(t, shape), want, 1e-6, 1e-6)
			})
		}
	}
}

// TestPoolQuantized checks integer pooling on raw values: TFLite averages
// the quantized integers (rounding half away from zero) and clamps to the
// activation range of the output quantization.
func TestPoolQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for i, g := range poolGeoms {
		for _, dt := range []models.DType{models.Int8, models.UInt8, models.Int16} {
			for _, op := range []ops.Op{ops.OpAveragePool2d, ops.OpMaxPool2d} {
				act := ops.Activation(i % 4)
				name := fmt.Sprintf("%s_%s_%v_act%d", op, dt, g, act)
				t.Run(name, func(t *testing.T) {
					lo, hi := bRange(dt)
					qx := bRandQ(r, g.n*g.h*g.w*g.cin, lo, hi)
					scale, zp := 0.05, math.Round((lo+hi)/2)+float64(i*3)
					if dt == models.Int16 {
						scale, zp = 0.0005, 0
					}
					q := bQ(scale, int64(zp))
					oh, ow, _, _ := g.out()
					shape := []int{g.n, oh, ow, g.cin}
					o := &bOp{op: op, version: 2, opts: poolOpts(g, act),
						ins: []*bT{bIn(dt, []int{g.n, g.h, g.w, g.cin}, q, qx)},
						out: &bT{dt: dt, shape: shape, q: q}}
					got := o.mustRun(t, shape)
					alo, ahi := bActQ(act, dt, scale, zp)
					want := refPool(qx, g, op == ops.OpAveragePool2d)
					for j, v := range want {
						want[j] = math.Min(math.Max(math.Round(v), alo), ahi) // math.Round: half away from zero
					}
					bClose(t, name, got, want, 0, 0)
				})
			}
		}
	}
}

func TestPoolErrors(t *testing.T) {
	f := models.Float32
	o := &bOp{op: ops.OpMaxPool2d, opts: bOpts(build.OptPool2D, 0, int8(0), 1, int32(1), 2, int32(1), 3, int32(0), 4, int32(2)),
		ins: []*bT{bIn(f, []int{1, 4, 4, 1}, nil, make([]float64, 16))}, out: &bT{dt: f, shape: []int{1, 4, 4, 1}}}
	o.wantError(t, "MAX_POOL_2D", "width filter size 0 must be positive")
	o.opts = bOpts(build.OptPool2D, 0, int8(0), 1, int32(1), 2, int32(0), 3, int32(2), 4, int32(2))
	o.wantError(t, "height stride 0")
	o.ins[0] = bIn(f, []int{4, 4, 1}, nil, make([]float64, 16))
	o.wantError(t, "must be 4-D")
	q := &bOp{op: ops.OpAveragePool2d, opts: poolOpts(poolGeoms[0], ops.ActNone),
		ins: []*bT{bIn(models.Int8, []int{1, 4, 4, 1}, bQ(0.1, 0), make([]float64, 16))}, out: &bT{dt: models.Int8, shape: []int{1, 2, 2, 1}}}
	q.wantError(t, "AVERAGE_POOL_2D", "output tensor", "no quantization parameters")
	q.out.dt = models.UInt8
	q.wantError(t, "output type uint8 differs from input type int8")
}
