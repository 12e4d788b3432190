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

// refDepthwise returns the raw sums of a depthwise convolution with
// multiplier m = cout/cin (filter [1, fh, fw, cout]).
func refDepthwise(x, w []float64, g cgeom) []float64 {
	oh, ow, pt, pl := g.out()
	m := g.cout / g.cin
	out := make([]float64, g.n*oh*ow*g.cout)
	for b := 0; b < g.n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < g.cout; oc++ {
					ic := oc / m
					s := 0.0
					for ky := 0; ky < g.fh; ky++ {
						for kx := 0; kx < g.fw; kx++ {
							iy, ix := oy*g.sh-pt+ky*g.dh, ox*g.sw-pl+kx*g.dw
							if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
								continue
							}
							s += x[((b*g.h+iy)*g.w+ix)*g.cin+ic] * w[(ky*g.fw+kx)*g.cout+oc]
						}
					}
					out[((b*oh+oy)*ow+ox)*g.cout+oc] = s
				}
			}
		}
	}
	return out
}

func dwOpts(g cgeom, act ops.Activation) build.Options {
	return bOpts(build.OptDepthwiseConv2D, 0, int8(g.pad), 1, int32(g.sw), 2, int32(g.sh), 3, int32(g.cout/g.cin), 4, int8(act), 5, int32(g.dw), 6, int32(g.dh))
}

var dwGeoms = []cgeom{
	{n: 1, h: 5, w: 5, cin: 1, cout: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0},
	{n: 2, h: 7, w: 6, cin: 3, cout: 3, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0},
	{n: 1, h: 8, w: 7, cin: 4, cout: 8, fh: 3, fw: 2, sh: 1, sw: 2, dh: 1, dw: 1, pad: 1},
	{n: 1, h: 9, w: 9, cin: 2, cout: 6, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 3, pad: 0},
	{n: 1, h: 6, w: 6, cin: 16, cout: 16, fh: 5, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0},
}

func TestDepthwiseConv2DFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i, g := range dwGeoms {
		act := ops.Activation(i % 4)
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("%v_act%d_t%d", g, act, threads)
			t.Run(name, func(t *testing.T) {
				x, w, bias := bRandF(r, g.n*g.h*g.w*g.cin, 2), bRandF(r, g.fh*g.fw*g.cout, 1), bRandF(r, g.cout, 1)
				oh, ow, _, _ := g.out()
				shape := []int{g.n, oh, ow, g.cout}
				want := refDepthwise(x, w, g)
				for j := range want {
					want[j] = bActF(act, want[j]+bias[j%g.cout])
				}
				o := &bOp{op: ops.OpDepthwiseConv2d, version: 2, opts: dwOpts(g, act), threads: threads,
					ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x),
						{dt: models.Float32, shape: []int{1, g.fh, g.fw, g.cout}, vals: w, konst: i != 2},
						bConst(models.Float32, []int{g.cout}, nil, bias)},
					out: &bT{dt: models.Float32, shape: shape}}
				bClose(t, name, o.mustRun(t, shape), want, 1e-5, 1e-5)
			})
		}
	}
}

func TestDepthwiseConv2DQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	f := func(v float64) float64 { return float64(float32(v)) }
	for i, g := range dwGeoms {
		for _, dt := range []models.DType{models.Int8, models.UInt8, models.Int16} {
			name := fmt.Sprintf("%s_%v", dt, g)
			t.Run(name, func(t *testing.T) {
				xlo, xhi := bRange(dt)
				qx := bRandQ(r, g.n*g.h*g.w*g.cin, xlo, xhi)
				wdt, wlo, whi, zw := models.Int8, -127.0, 127.0, 0.0
				sx, so, zx, zo := 0.05, 0.2, float64(i*50-100), float64(60-i*40)
				biasDT := models.Int32
				perChannel := true
				switch dt {
				case models.UInt8:
					wdt, wlo, whi, zw = models.UInt8, 0, 255, float64(110+i)
					zx, zo = float64(128+i*20), float64(100+i*10)
					perChannel = false
				case models.Int16:
					sx, so, zx, zo, biasDT = 0.0005, 0.004, 0, 0, models.Int64
				}
				qw := bRandQ(r, g.fh*g.fw*g.cout, wlo, whi)
				sws := make([]float64, g.cout)
				for o := range sws {
					sws[o] = 0.01
					if perChannel {
						sws[o] = f(0.01 * (1 + float64(o%4)/3))
					}
				}
				wq := bQ(0.01, int64(zw))
				if perChannel {
					wq = bQC(sws, 3)
				}
				qb := bRandQ(r, g.cout, -3000, 3000)
				act := ops.Activation(i % 4)
				oh, ow, _, _ := g.out()
				shape := []int{g.n, oh, ow, g.cout}
				o := &bOp{op: ops.OpDepthwiseConv2d, version: 3, opts: dwOpts(g, act),
					ins: []*bT{bIn(dt, []int{g.n, g.h, g.w, g.cin}, bQ(sx, int64(zx)), qx), bConst(wdt, []int{1, g.fh, g.fw, g.cout}, wq, qw),
						bConst(biasDT, []int{g.cout}, bQ(sx*0.01, 0), qb)},
					out: &bT{dt: dt, shape: shape, q: bQ(so, int64(zo))}}
				got := o.mustRun(t, shape)
				xc, wc := make([]float64, len(qx)), make([]float64, len(qw))
				for j, v := range qx {
					xc[j] = v - zx
				}
				for j, v := range qw {
					wc[j] = v - zw
				}
				lo, hi := bActQ(act, dt, so, zo)
				reals, exact := make([]float64, 0), make([]float64, 0)
				for j, a := range refDepthwise(xc, wc, g) {
					oc := j % g.cout
					a += qb[oc]
					reals = append(reals, a*f(sx)*sws[oc])
					m := f(sx) * sws[oc] / f(so)
					if !perChannel {
						m = bF32Prod(sx, 0.01) / f(so)
					}
					v := bMulQ(int64(int32(a)), m)
					if dt == models.Int16 {
						v = bMulQ64(int64(a), m)
					}
					exact = append(exact, math.Min(math.Max(float64(v)+zo, lo), hi))
				}
				tol := 1.0
				if dt == models.Int16 {
					tol = 2
				}
				bClose(t, name+" vs reals", got, bQuantize(reals, so, zo, lo, hi), tol, 0)
				bClose(t, name+" vs integer reference", got, exact, 0, 0)
			})
		}
	}
}

func TestDepthwiseConv2DHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, g := range dwGeoms[1:4] {
		t.Run(g.String(), func(t *testing.T) {
			x := bRandF(r, g.n*g.h*g.w*g.cin, 2)
			qw := bRandQ(r, g.fh*g.fw*g.cout, -127, 127)
			sws := make([]float64, g.cout)
			for o := range sws {
				sws[o] = float64(float32(0.004 + 0.002*float64(o)))
			}
			bias := bRandF(r, g.cout, 0.5)
			oh, ow, _, _ := g.out()
			shape := []int{g.n, oh, ow, g.cout}
			size := g.h * g.w * g.cin
			var want []float64
			for b := 0; b < g.n; b++ {
				q, sf, zp := bHybridQuant(x[b*size:(b+1)*size], true)
				for j := range q {
					q[j] -= zp
				}
				gb := g
				gb.n = 1
				for j, a := range refDepthwise(q, qw, gb) {
					oc := j % g.cout
					want = append(want, bActF(ops.ActRelu6, a*sf*sws[oc]+bias[oc]))
				}
			}
			o := &bOp{op: ops.OpDepthwiseConv2d, version: 6, opts: dwOpts(g, ops.ActRelu6),
				ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x), bConst(models.Int8, []int{1, g.fh, g.fw, g.cout}, bQC(sws, 3), qw),
					bConst(models.Float32, []int{g.cout}, nil, bias)},
				out: &bT{dt: models.Float32, shape: shape}}
			bClose(t, g.String(), o.mustRun(t, shape), want, 1e-4, 1e-4)
		})
	}
}

func TestDepthwiseConv2DErrors(t *testing.T) {
	f := models.Float32
	g := dwGeoms[1]
	base := func() *bOp {
		return &bOp{op: ops.OpDepthwiseConv2d, opts: dwOpts(g, ops.ActNone),
			ins: []*bT{bIn(f, []int{2, 7, 6, 3}, nil, make([]float64, 252)), bConst(f, []int{1, 3, 3, 3}, nil, make([]float64, 27))},
			out: &bT{dt: f, shape: []int{2, 4, 3, 3}}}
	}
	o := base()
	o.ins[1] = bConst(f, []int{1, 3, 3, 4}, nil, make([]float64, 36))
	o.wantError(t, "DEPTHWISE_CONV_2D", "4 output channels are not a multiple of the 3 input channels")
	o = base()
	o.ins[1] = bConst(f, []int{2, 3, 3, 3}, nil, make([]float64, 54))
	o.wantError(t, "must be [1, height, width, channels]")
	o = base()
	o.opts = bOpts(build.OptDepthwiseConv2D, 0, int8(0), 1, int32(1), 2, int32(1<<20))
	o.wantError(t, "height stride 1048576 is out of range")
	q := &bOp{op: ops.OpDepthwiseConv2d, opts: dwOpts(g, ops.ActNone),
		ins: []*bT{bIn(models.Int16, []int{2, 7, 6, 3}, bQ(0.1, 0), make([]float64, 252)), bConst(models.Int8, []int{1, 3, 3, 3}, bQ(0.1, 0), make([]float64, 27)),
			bConst(models.Int32, []int{3}, nil, make([]float64, 3))},
		out: &bT{dt: models.Int16, shape: []int{2, 4, 3, 3}, q: bQ(0.1, 0)}}
	q.wantError(t, "int16 depthwise convolution needs an int64 bias")
}

// dwWideGeoms have interior pixels and channel counts past the vector
// blocks of the fused interior kernels (16 int8, 32 and 8 float32 channels),
// with borders on every side.
var dwWideGeoms = []cgeom{
	{n: 2, h: 7, w: 9, cin: 24, cout: 24, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0},
	{n: 1, h: 9, w: 11, cin: 40, cout: 40, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 0},
	{n: 1, h: 10, w: 10, cin: 48, cout: 48, fh: 3, fw: 5, sh: 1, sw: 2, dh: 2, dw: 1, pad: 1},
	{n: 1, h: 8, w: 9, cin: 17, cout: 17, fh: 5, fw: 5, sh: 2, sw: 1, dh: 1, dw: 1, pad: 0},
}

// TestDepthwiseConv2DInterior runs the layers that take the fused interior
// kernels through the operator: int8 bit for bit against the integer
// reference (with and without bias, a filter that is not constant, two
// threads), float32 against float64 sums.
func TestDepthwiseConv2DInterior(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	f := func(v float64) float64 { return float64(float32(v)) }
	for i, g := range dwWideGeoms {
		oh, ow, _, _ := g.out()
		shape := []int{g.n, oh, ow, g.cout}
		act := ops.Activation(i % 4)
		for _, v := range []struct {
			bias, konst bool
			threads     int
		}{{true, true, 1}, {false, true, 2}, {true, false, 1}} {
			name := fmt.Sprintf("%v_bias%v_const%v_t%d", g, v.bias, v.konst, v.threads)
			t.Run("int8_"+name, func(t *testing.T) {
				qx := bRandQ(r, g.n*g.h*g.w*g.cin, -128, 127)
				qw := bRandQ(r, g.fh*g.fw*g.cout, -127, 127)
				qb := bRandQ(r, g.cout, -30000, 30000)
				sx, so, zx, zo := 0.05, 0.3, float64(-128+i*80), float64(100-i*70)
				sws := make([]float64, g.cout)
				for o := range sws {
					sws[o] = f(0.01 * (1 + float64(o%5)/4))
				}
				ins := []*bT{bIn(models.Int8, []int{g.n, g.h, g.w, g.cin}, bQ(sx, int64(zx)), qx),
					{dt: models.Int8, shape: []int{1, g.fh, g.fw, g.cout}, q: bQC(sws, 3), vals: qw, konst: v.konst}, nil}
				if v.bias {
					ins[2] = bConst(models.Int32, []int{g.cout}, bQ(sx*0.01, 0), qb)
				} else {
					clear(qb)
				}
				o := &bOp{op: ops.OpDepthwiseConv2d, version: 3, opts: dwOpts(g, act), threads: v.threads, ins: ins,
					out: &bT{dt: models.Int8, shape: shape, q: bQ(so, int64(zo))}}
				got := o.mustRun(t, shape)
				xc := make([]float64, len(qx))
				for j, x := range qx {
					xc[j] = x - zx
				}
				lo, hi := bActQ(act, models.Int8, so, zo)
				exact := make([]float64, 0, len(got))
				for j, a := range refDepthwise(xc, qw, g) {
					oc := j % g.cout
					q := bMulQ(int64(int32(a+qb[oc])), f(sx)*sws[oc]/f(so))
					exact = append(exact, math.Min(math.Max(float64(q)+zo, lo), hi))
				}
				bClose(t, name, got, exact, 0, 0)
			})
			t.Run("float_"+name, func(t *testing.T) {
				x, w, bias := bRandF(r, g.n*g.h*g.w*g.cin, 2), bRandF(r, g.fh*g.fw*g.cout, 1), bRandF(r, g.cout, 1)
				ins := []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x),
					{dt: models.Float32, shape: []int{1, g.fh, g.fw, g.cout}, vals: w, konst: v.konst}, nil}
				if v.bias {
					ins[2] = bConst(models.Float32, []int{g.cout}, nil, bias)
				} else {
					clear(bias)
				}
				want := refDepthwise(x, w, g)
				for j := range want {
					want[j] = bActF(act, want[j]+bias[j%g.cout])
				}
				o := &bOp{op: ops.OpDepthwiseConv2d, version: 2, opts: dwOpts(g, act), threads: v.threads, ins: ins,
					out: &bT{dt: models.Float32, shape: shape}}
				bClose(t, name, o.mustRun(t, shape), want, 1e-5, 1e-5)
			})
		}
	}
}
