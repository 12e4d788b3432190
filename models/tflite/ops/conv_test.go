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

// cgeom is the geometry of a convolution test case (NHWC, filter OHWI).
type cgeom struct {
	n, h, w, cin, cout int
	fh, fw             int
	sh, sw, dh, dw     int
	pad                uint8 // 0 SAME, 1 VALID
	groups             int
}

// out computes the output size and leading padding as TensorFlow defines
// them: SAME keeps ceil(in/stride), VALID only windows inside the input.
func (g cgeom) out() (oh, ow, pt, pl int) {
	dim := func(in, f, s, d int) (int, int) {
		eff := (f-1)*d + 1
		o := (in + s - 1) / s
		if g.pad == 1 {
			o = (in-eff)/s + 1
		}
		return o, max((o-1)*s+eff-in, 0) / 2
	}
	oh, pt = dim(g.h, g.fh, g.sh, g.dh)
	ow, pl = dim(g.w, g.fw, g.sw, g.dw)
	return
}

func (g cgeom) String() string {
	return fmt.Sprintf("n%d_%dx%dx%d_f%dx%dx%d_s%d%d_d%d%d_pad%d_g%d", g.n, g.h, g.w, g.cin, g.cout, g.fh, g.fw, g.sh, g.sw, g.dh, g.dw, g.pad, g.groups)
}

// refConv returns the raw convolution sums (no bias): taps outside the
// input contribute nothing.
func refConv(x, w []float64, g cgeom) []float64 {
	oh, ow, pt, pl := g.out()
	fc := g.cin / g.groups
	fpg := g.cout / g.groups
	out := make([]float64, g.n*oh*ow*g.cout)
	for b := 0; b < g.n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < g.cout; oc++ {
					grp := oc / fpg
					s := 0.0
					for ky := 0; ky < g.fh; ky++ {
						iy := oy*g.sh - pt + ky*g.dh
						for kx := 0; kx < g.fw; kx++ {
							ix := ox*g.sw - pl + kx*g.dw
							if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
								continue
							}
							for ic := 0; ic < fc; ic++ {
								s += x[((b*g.h+iy)*g.w+ix)*g.cin+grp*fc+ic] * w[((oc*g.fh+ky)*g.fw+kx)*fc+ic]
							}
						}
					}
					out[((b*oh+oy)*ow+ox)*g.cout+oc] = s
				}
			}
		}
	}
	return out
}

func convOpts(g cgeom, act ops.Activation) build.Options {
	return bOpts(build.OptConv2D, 0, int8(g.pad), 1, int32(g.sw), 2, int32(g.sh), 3, int8(act), 4, int32(g.dw), 5, int32(g.dh))
}

var convGeoms = []cgeom{
	{n: 1, h: 5, w: 5, cin: 1, cout: 1, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 2, h: 7, w: 6, cin: 3, cout: 5, fh: 3, fw: 2, sh: 2, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 8, w: 9, cin: 4, cout: 6, fh: 3, fw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 9, w: 9, cin: 2, cout: 3, fh: 3, fw: 3, sh: 1, sw: 1, dh: 2, dw: 3, pad: 0, groups: 1},
	{n: 1, h: 9, w: 8, cin: 2, cout: 3, fh: 2, fw: 3, sh: 1, sw: 2, dh: 2, dw: 2, pad: 1, groups: 1},
	{n: 2, h: 4, w: 4, cin: 8, cout: 9, fh: 1, fw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
	{n: 1, h: 5, w: 5, cin: 8, cout: 12, fh: 1, fw: 1, sh: 2, sw: 2, dh: 1, dw: 1, pad: 1, groups: 1},
	{n: 1, h: 6, w: 5, cin: 6, cout: 4, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 2},
	{n: 1, h: 4, w: 3, cin: 6, cout: 9, fh: 2, fw: 2, sh: 1, sw: 1, dh: 1, dw: 1, pad: 1, groups: 3},
	{n: 1, h: 3, w: 3, cin: 2, cout: 2, fh: 5, fw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1},
}

func TestConv2DFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	acts := []ops.Activation{ops.ActNone, ops.ActRelu, ops.ActRelu6, ops.ActReluN1To1}
	for i, g := range convGeoms {
		act := acts[i%len(acts)]
		for _, threads := range []int{1, 3} {
			name := fmt.Sprintf("%v_act%d_t%d", g, act, threads)
			t.Run(name, func(t *testing.T) {
				fc := g.cin / g.groups
				x, w := bRandF(r, g.n*g.h*g.w*g.cin, 2), bRandF(r, g.cout*g.fh*g.fw*fc, 1)
				bias := bRandF(r, g.cout, 1)
				oh, ow, _, _ := g.out()
				shape := []int{g.n, oh, ow, g.cout}
				want := refConv(x, w, g)
				for j := range want {
					want[j] = bActF(act, want[j]+bias[j%g.cout])
				}
				o := &bOp{op: ops.OpConv2d, version: 1, opts: convOpts(g, act), threads: threads,
					ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x),
						{dt: models.Float32, shape: []int{g.cout, g.fh, g.fw, fc}, vals: w, konst: i%3 != 2},
						bConst(models.Float32, []int{g.cout}, nil, bias)},
					out: &bT{dt: models.Float32, shape: shape}}
				got := o.mustRun(t, shape)
				bClose(t, name, got, want, 1e-5, 1e-5)
			})
		}
	}
}

// convQCase is one quantized CONV_2D configuration.
type convQCase struct {
	name       string
	dt         models.DType
	biasDT     models.DType
	g          cgeom
	sx, so     float64
	zx, zw, zo float64
	perChannel bool
	act        ops.Activation
	noBias     bool
	varFilter  bool // filter is a graph input, packed at every Invoke
	threads    int
}

func TestConv2DQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	var cases []convQCase
	for i, g := range convGeoms {
		cases = append(cases,
			convQCase{name: "int8_" + g.String(), dt: models.Int8, biasDT: models.Int32, g: g, sx: 0.05, so: 0.3, zx: float64(i*29%256 - 128), zo: float64(i*7 - 30), perChannel: true, act: ops.Activation(i % 4)},
			convQCase{name: "int16_" + g.String(), dt: models.Int16, biasDT: models.Int64, g: g, sx: 0.0005, so: 0.004, perChannel: true, act: ops.Activation(i % 2)})
		if g.groups == 1 {
			cases = append(cases, convQCase{name: "uint8_" + g.String(), dt: models.UInt8, biasDT: models.Int32, g: g, sx: 0.02, so: 0.2, zx: 128, zw: float64(100 + i), zo: float64(120 - i), act: ops.ActRelu})
		}
	}
	g0 := convGeoms[1]
	cases = append(cases,
		convQCase{name: "int8_zp_max_saturate", dt: models.Int8, biasDT: models.Int32, g: g0, sx: 0.5, so: 0.01, zx: 127, zo: -128, perChannel: true},
		convQCase{name: "int8_per_tensor_nobias", dt: models.Int8, g: g0, sx: 0.05, so: 0.1, zx: -128, zo: 127, noBias: true},
		convQCase{name: "int16_int32bias", dt: models.Int16, biasDT: models.Int32, g: g0, sx: 0.0005, so: 0.004, perChannel: true})
	// Patches of 180 depths: gemmRow16's vector steps and a tail of 4.
	deep := cgeom{n: 1, h: 5, w: 6, cin: 20, cout: 10, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1}
	cases = append(cases,
		convQCase{name: "int16_deep", dt: models.Int16, biasDT: models.Int64, g: deep, sx: 0.0005, so: 0.02, perChannel: true},
		convQCase{name: "int16_deep_int32bias", dt: models.Int16, biasDT: models.Int32, g: deep, sx: 0.0005, so: 0.02, perChannel: true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runConvQ(t, r, c) })
	}
}

func runConvQ(t *testing.T, r *rand.Rand, c convQCase) {
	g := c.g
	fc := g.cin / g.groups
	xlo, xhi := bRange(c.dt)
	qx := bRandQ(r, g.n*g.h*g.w*g.cin, xlo, xhi)
	wdt, wlo, whi := models.Int8, -127.0, 127.0
	if c.dt == models.UInt8 {
		wdt, wlo, whi = models.UInt8, 0, 255
	}
	qw := bRandQ(r, g.cout*g.fh*g.fw*fc, wlo, whi)
	sws := make([]float64, g.cout)
	for o := range sws {
		sws[o] = float64(float32(0.01 * (1 + float64(o%3)/2)))
		if !c.perChannel {
			sws[o] = 0.01
		}
	}
	wq := bQ(0.01, int64(c.zw))
	if c.perChannel {
		wq = bQC(sws, 0)
	}
	oh, ow, _, _ := g.out()
	shape := []int{g.n, oh, ow, g.cout}
	ins := []*bT{bIn(c.dt, []int{g.n, g.h, g.w, g.cin}, bQ(c.sx, int64(c.zx)), qx),
		{dt: wdt, shape: []int{g.cout, g.fh, g.fw, fc}, q: wq, vals: qw, konst: !c.varFilter}}
	var qb []float64
	if !c.noBias {
		qb = bRandQ(r, g.cout, -5000, 5000)
		ins = append(ins, bConst(c.biasDT, []int{g.cout}, bQ(c.sx*0.01, 0), qb))
	}
	o := &bOp{op: ops.OpConv2d, version: 3, opts: convOpts(g, c.act), ins: ins, threads: c.threads,
		out: &bT{dt: c.dt, shape: shape, q: bQ(c.so, int64(c.zo))}}
	got := o.mustRun(t, shape)

	xc, wc := make([]float64, len(qx)), make([]float64, len(qw))
	for i, v := range qx {
		xc[i] = v - c.zx
	}
	for i, v := range qw {
		wc[i] = v - c.zw
	}
	acc := refConv(xc, wc, g)
	lo, hi := bActQ(c.act, c.dt, c.so, c.zo)
	f := func(v float64) float64 { return float64(float32(v)) }
	reals, exact := make([]float64, len(acc)), make([]float64, len(acc))
	for i, a := range acc {
		oc := i % g.cout
		if qb != nil {
			a += qb[oc]
		}
		reals[i] = a * f(c.sx) * sws[oc]
		m := f(c.sx) * sws[oc] / f(c.so)
		if !c.perChannel {
			m = bF32Prod(c.sx, 0.01) / f(c.so)
		}
		var v int64
		if c.dt == models.Int16 && c.biasDT != models.Int32 {
			v = bMulQ64(int64(a), m)
		} else {
			v = bMulQ(int64(int32(int64(a))), m)
		}
		exact[i] = math.Min(math.Max(float64(v)+c.zo, lo), hi)
	}
	tol := 1.0
	if c.dt == models.Int16 {
		tol = 2
	}
	bClose(t, c.name+" vs reals", got, bQuantize(reals, c.so, c.zo, lo, hi), tol, 0)
	bClose(t, c.name+" vs integer reference", got, exact, 0, 0)
}

func TestConv2DHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for i, g := range []cgeom{convGeoms[1], convGeoms[3], convGeoms[5], convGeoms[7]} {
		for _, pc := range []bool{false, true} {
			if g.groups > 1 && !pc {
				continue // TFLite runs grouped hybrid convolutions per channel
			}
			name := fmt.Sprintf("%v_pc%v", g, pc)
			t.Run(name, func(t *testing.T) {
				fc := g.cin / g.groups
				x := bRandF(r, g.n*g.h*g.w*g.cin, 2)
				qw := bRandQ(r, g.cout*g.fh*g.fw*fc, -127, 127)
				sws := make([]float64, g.cout)
				for o := range sws {
					sws[o] = 0.01
					if pc {
						sws[o] = float64(float32(0.005 + 0.003*float64(o)))
					}
				}
				wq := bQ(0.01, 0)
				if pc {
					wq = bQC(sws, 0)
				}
				bias := bRandF(r, g.cout, 0.5)
				act := ops.Activation(i % 4)
				oh, ow, _, _ := g.out()
				shape := []int{g.n, oh, ow, g.cout}
				// Each batch of the input is quantized as a whole.
				size := g.h * g.w * g.cin
				want := make([]float64, 0, g.n*oh*ow*g.cout)
				for b := 0; b < g.n; b++ {
					q, sf, zp := bHybridQuant(x[b*size:(b+1)*size], pc)
					for j := range q {
						q[j] -= zp
					}
					gb := g
					gb.n = 1
					for j, a := range refConv(q, qw, gb) {
						oc := j % g.cout
						want = append(want, bActF(act, a*sf*sws[oc]+bias[oc]))
					}
				}
				o := &bOp{op: ops.OpConv2d, version: 3, opts: convOpts(g, act),
					ins: []*bT{bIn(models.Float32, []int{g.n, g.h, g.w, g.cin}, nil, x), bConst(models.Int8, []int{g.cout, g.fh, g.fw, fc}, wq, qw),
						bConst(models.Float32, []int{g.cout}, nil, bias)},
					out: &bT{dt: models.Float32, shape: shape}}
				got := o.mustRun(t, shape)
				bClose(t, name, got, want, 1e-4, 1e-4)
			})
		}
	}
}

func TestConv2DErrors(t *testing.T) {
	f := models.Float32
	base := func() *bOp {
		g := convGeoms[0]
		return &bOp{op: ops.OpConv2d, opts: convOpts(g, ops.ActNone),
			ins: []*bT{bIn(f, []int{1, 5, 5, 1}, nil, make([]float64, 25)), bConst(f, []int{1, 3, 3, 1}, nil, make([]float64, 9)), bConst(f, []int{1}, nil, []float64{0})},
			out: &bT{dt: f, shape: []int{1, 5, 5, 1}}}
	}
	o := base()
	o.opts = bOpts(build.OptConv2D, 0, int8(0), 1, int32(0), 2, int32(1))
	o.wantError(t, "CONV_2D (node 0)", "width stride 0 is out of range")
	o = base()
	o.opts = bOpts(build.OptConv2D, 0, int8(0), 1, int32(1), 2, int32(1), 4, int32(-2))
	o.wantError(t, "width dilation -2")
	o = base()
	o.opts = bOpts(build.OptConv2D, 0, int8(5), 1, int32(1), 2, int32(1))
	o.wantError(t, "padding 5 is neither SAME nor VALID")
	o = base()
	o.opts = bOpts(build.OptConv2D, 0, int8(1), 1, int32(1), 2, int32(1), 4, int32(4), 5, int32(4))
	o.wantError(t, "does not fit the input")
	o = base()
	o.ins[1] = bConst(f, []int{1, 3, 3, 2}, nil, make([]float64, 18))
	o.wantError(t, "input depth 1 is not a multiple of the filter depth 2")
	o = base()
	o.ins[2] = bConst(f, []int{2}, nil, []float64{0, 0})
	o.wantError(t, "bias has 2 elements for 1 output channels")
	o = base()
	o.ins[0] = bIn(f, []int{5, 5, 1}, nil, make([]float64, 25))
	o.wantError(t, "must be 4-D")
	q := &bOp{op: ops.OpConv2d, opts: convOpts(convGeoms[0], ops.ActNone),
		ins: []*bT{bIn(models.Int8, []int{1, 5, 5, 1}, bQ(0.1, 0), make([]float64, 25)), bConst(models.Int8, []int{1, 3, 3, 1}, bQ(0.1, 3), make([]float64, 9))},
		out: &bT{dt: models.Int8, shape: []int{1, 5, 5, 1}, q: bQ(0.1, 0)}}
	q.wantError(t, "zero point 3", "symmetric")
	q.ins[1].q = bQ(0.1, 0)
	q.out.q = nil
	q.wantError(t, "output tensor", "no quantization parameters")
	q.out.q = bQ(0.1, 0)
	q.ins = append(q.ins, bConst(models.Int64, []int{1}, nil, []float64{0}))
	q.wantError(t, "int8 convolution needs an int32 bias")
}
