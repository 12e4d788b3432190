package ops_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// tgeom is a TRANSPOSE_CONV case: output size oh x ow, the input size
// follows (the convolution of the output with the same filter and stride).
type tgeom struct {
	n, oh, ow, cin, cout, fh, fw, sh, sw int
	pad                                  uint8
}

func (g tgeom) in() (ih, iw, pt, pl int) {
	c := cgeom{h: g.oh, w: g.ow, fh: g.fh, fw: g.fw, sh: g.sh, sw: g.sw, dh: 1, dw: 1, pad: g.pad}
	return c.out()
}

// refTransposeConv scatters every input pixel through the filter
// (weights [cout, fh, fw, cin]), returning raw sums.
func refTransposeConv(x, w []float64, g tgeom) []float64 {
	ih, iw, pt, pl := g.in()
	out := make([]float64, g.n*g.oh*g.ow*g.cout)
	for b := 0; b < g.n; b++ {
		for iy := 0; iy < ih; iy++ {
			for ix := 0; ix < iw; ix++ {
				for ic := 0; ic < g.cin; ic++ {
					v := x[((b*ih+iy)*iw+ix)*g.cin+ic]
					for ky := 0; ky < g.fh; ky++ {
						for kx := 0; kx < g.fw; kx++ {
							oy, ox := iy*g.sh-pt+ky, ix*g.sw-pl+kx
							if oy < 0 || oy >= g.oh || ox < 0 || ox >= g.ow {
								continue
							}
							for oc := 0; oc < g.cout; oc++ {
								out[((b*g.oh+oy)*g.ow+ox)*g.cout+oc] += v * w[((oc*g.fh+ky)*g.fw+kx)*g.cin+ic]
							}
						}
					}
				}
			}
		}
	}
	return out
}

var tconvGeoms = []tgeom{
	{n: 1, oh: 4, ow: 4, cin: 1, cout: 1, fh: 3, fw: 3, sh: 1, sw: 1, pad: 0},
	{n: 2, oh: 8, ow: 6, cin: 3, cout: 2, fh: 3, fw: 3, sh: 2, sw: 2, pad: 0},
	{n: 1, oh: 9, ow: 7, cin: 2, cout: 4, fh: 3, fw: 2, sh: 2, sw: 1, pad: 1},
	{n: 1, oh: 10, ow: 1, cin: 4, cout: 3, fh: 4, fw: 1, sh: 2, sw: 1, pad: 0},
	{n: 1, oh: 6, ow: 5, cin: 5, cout: 6, fh: 1, fw: 1, sh: 1, sw: 1, pad: 1},
}

func tconvModel(g tgeom, dt, wdt models.DType, xq, wq, oq *models.Quant, x, w []float64, bias *bT, act ops.Activation, dynamicShape bool) *bOp {
	ih, iw, _, _ := g.in()
	shapeVals := []float64{float64(g.n), float64(g.oh), float64(g.ow), float64(g.cout)}
	shapeT := bConst(models.Int32, []int{4}, nil, shapeVals)
	if dynamicShape {
		shapeT = bIn(models.Int32, []int{4}, nil, shapeVals)
	}
	return &bOp{op: ops.OpTransposeConv, version: 4,
		opts: bOpts(build.OptTransposeConv, 0, int8(g.pad), 1, int32(g.sw), 2, int32(g.sh), 3, int8(act)),
		ins:  []*bT{shapeT, bConst(wdt, []int{g.cout, g.fh, g.fw, g.cin}, wq, w), bIn(dt, []int{g.n, ih, iw, g.cin}, xq, x), bias},
		out:  &bT{dt: dt, shape: []int{g.n, g.oh, g.ow, g.cout}, q: oq}}
}

func TestTransposeConvFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for i, g := range tconvGeoms {
		for _, withBias := range []bool{true, false} {
			name := fmt.Sprintf("%d_bias%v", i, withBias)
			t.Run(name, func(t *testing.T) {
				ih, iw, _, _ := g.in()
				x, w := bRandF(r, g.n*ih*iw*g.cin, 2), bRandF(r, g.cout*g.fh*g.fw*g.cin, 1)
				act := ops.Activation(i % 4)
				want := refTransposeConv(x, w, g)
				var bias *bT
				b := bRandF(r, g.cout, 1)
				if withBias {
					bias = bConst(models.Float32, []int{g.cout}, nil, b)
				}
				for j := range want {
					if withBias {
						want[j] += b[j%g.cout]
					}
					want[j] = bActF(act, want[j])
				}
				o := tconvModel(g, models.Float32, models.Float32, nil, nil, nil, x, w, bias, act, i == 1)
				o.threads = 1 + i%2
				bClose(t, name, o.mustRun(t, o.out.shape), want, 1e-5, 1e-5)
			})
		}
	}
}

func TestTransposeConvQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	f := func(v float64) float64 { return float64(float32(v)) }
	type qc struct {
		dt, biasDT models.DType
		sx, so     float64
		zx, zo     float64
	}
	for i, g := range tconvGeoms {
		for _, c := range []qc{
			{dt: models.Int8, biasDT: models.Int32, sx: 0.05, so: 0.2, zx: float64(i*40 - 90), zo: float64(20 - i*30)},
			{dt: models.Int16, biasDT: models.Int64, sx: 0.0005, so: 0.004},
			{dt: models.Int16, biasDT: models.Int32, sx: 0.0005, so: 0.004},
			{dt: models.Int16, biasDT: models.Int16, sx: 0.0005, so: 0.004},
		} {
			name := fmt.Sprintf("%d_%s_bias%s", i, c.dt, c.biasDT)
			t.Run(name, func(t *testing.T) {
				ih, iw, _, _ := g.in()
				lo, hi := bRange(c.dt)
				qx, qw := bRandQ(r, g.n*ih*iw*g.cin, lo, hi), bRandQ(r, g.cout*g.fh*g.fw*g.cin, -127, 127)
				sws := make([]float64, g.cout)
				for o := range sws {
					sws[o] = f(0.01 * (1 + float64(o%3)/2))
				}
				qb := bRandQ(r, g.cout, -2000, 2000)
				act := ops.Activation(i % 2)
				o := tconvModel(g, c.dt, models.Int8, bQ(c.sx, int64(c.zx)), bQC(sws, 0), bQ(c.so, int64(c.zo)), qx, qw,
					bConst(c.biasDT, []int{g.cout}, bQ(c.sx*0.01, 0), qb), act, false)
				got := o.mustRun(t, o.out.shape)
				xc := make([]float64, len(qx))
				for j, v := range qx {
					xc[j] = v - c.zx
				}
				alo, ahi := bActQ(act, c.dt, c.so, c.zo)
				reals, exact := []float64{}, []float64{}
				for j, a := range refTransposeConv(xc, qw, g) {
					oc := j % g.cout
					a += qb[oc]
					reals = append(reals, a*f(c.sx)*sws[oc])
					m := f(c.sx) * sws[oc] / f(c.so)
					v := bMulQ(int64(int32(a)), m)
					if c.dt == models.Int16 && c.biasDT != models.Int32 {
						v = bMulQ64(int64(a), m)
					}
					exact = append(exact, math.Min(math.Max(float64(v)+c.zo, alo), ahi))
				}
				tol := 1.0
				if c.dt == models.Int16 {
					tol = 2
				}
				bClose(t, name+" vs reals", got, bQuantize(reals, c.so, c.zo, alo, ahi), tol, 0)
				bClose(t, name+" vs integer reference", got, exact, 0, 0)
			})
		}
	}
}

func TestTransposeConvHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for i, g := range tconvGeoms[1:4] {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ih, iw, _, _ := g.in()
			x, qw := bRandF(r, g.n*ih*iw*g.cin, 2), bRandQ(r, g.cout*g.fh*g.fw*g.cin, -127, 127)
			sws := make([]float64, g.cout)
			for o := range sws {
				sws[o] = float64(float32(0.01 + 0.004*float64(o)))
			}
			b := bRandF(r, g.cout, 0.5)
			size := ih * iw * g.cin
			var want []float64
			for bb := 0; bb < g.n; bb++ {
				q, sf, zp := bHybridQuant(x[bb*size:(bb+1)*size], true)
				for j := range q {
					q[j] -= zp
				}
				gb := g
				gb.n = 1
				for j, a := range refTransposeConv(q, qw, gb) {
					want = append(want, a*sf*sws[j%g.cout]+b[j%g.cout])
				}
			}
			o := tconvModel(g, models.Float32, models.Int8, nil, bQC(sws, 0), nil, x, qw, bConst(models.Float32, []int{g.cout}, nil, b), ops.ActNone, false)
			bClose(t, "hybrid", o.mustRun(t, o.out.shape), want, 1e-4, 1e-4)
		})
	}
}

// TestTransposeConvDynamicShape feeds output_shape at run time and checks
// that a wrong one is refused during Invoke.
func TestTransposeConvDynamicShape(t *testing.T) {
	g := tconvGeoms[1]
	ih, iw, _, _ := g.in()
	x, w := make([]float64, g.n*ih*iw*g.cin), make([]float64, g.cout*g.fh*g.fw*g.cin)
	o := tconvModel(g, models.Float32, models.Float32, nil, nil, nil, x, w, nil, ops.ActNone, true)
	it, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	o.feed(it)
	copy(it.Input(0), bEncode(models.Int32, []float64{2, 8, 9, 2}))
	err = it.Invoke(context.Background())
	if err == nil {
		t.Fatal("output_shape [2 8 9 2] for a 4x3 input: no error")
	}
	for _, want := range []string{"TRANSPOSE_CONV", "needs an input of 4x5"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
}

func TestTransposeConvErrors(t *testing.T) {
	g := tconvGeoms[0]
	x, w := make([]float64, 16), make([]float64, 9)
	o := tconvModel(g, models.Float32, models.Float32, nil, nil, nil, x, w, nil, ops.ActNone, false)
	o.ins[0] = bConst(models.Int32, []int{4}, nil, []float64{1, 5, 4, 1})
	o.wantError(t, "TRANSPOSE_CONV", "needs an input of 5x4")
	o.ins[0] = bConst(models.Int32, []int{3}, nil, []float64{1, 4, 4})
	o.wantError(t, "output_shape must be an int32 vector of 4 elements")
	o.ins[0] = bConst(models.Int32, []int{4}, nil, []float64{1, 4, 4, 2})
	o.wantError(t, "does not match batch 1 and 1 output channels")
	o = tconvModel(g, models.Float32, models.Float32, nil, nil, nil, x, w, nil, ops.ActNone, false)
	o.ins[1] = bConst(models.Float32, []int{1, 3, 3, 2}, nil, make([]float64, 18))
	o.wantError(t, "weights depth 2 differs from the input depth 1")
	q := tconvModel(g, models.UInt8, models.UInt8, bQ(0.1, 0), bQ(0.1, 0), bQ(0.1, 0), x, w, nil, ops.ActNone, false)
	q.wantError(t, "input type uint8 is not supported")
}
