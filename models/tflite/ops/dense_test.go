package ops_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refFC is output[b][o] = act(bias[o] + sum_k x[b][k]*w[o][k]) on reals.
func refFC(x, w, bias []float64, batches, k, units int, act ops.Activation) []float64 {
	out := make([]float64, batches*units)
	for b := 0; b < batches; b++ {
		for o := 0; o < units; o++ {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for i := 0; i < k; i++ {
				s += x[b*k+i] * w[o*k+i]
			}
			out[b*units+o] = bActF(act, s)
		}
	}
	return out
}

// refFCInt is TFLite's integer FULLY_CONNECTED: int32 (or int64) sums of
// (w - zw)*(x - zx) plus bias, requantized per output channel.
func refFCInt(qx, qw, qb []float64, zx, zw float64, batches, k, units int, mult []float64, zo, lo, hi float64, wide bool) []float64 {
	out := make([]float64, batches*units)
	for b := 0; b < batches; b++ {
		for o := 0; o < units; o++ {
			var acc int64
			for i := 0; i < k; i++ {
				acc += int64(qw[o*k+i]-zw) * int64(qx[b*k+i]-zx)
			}
			if qb != nil {
				acc += int64(qb[o])
			}
			var v int64
			if wide {
				v = bMulQ64(acc, mult[o])
			} else {
				v = bMulQ(int64(int32(acc)), mult[o])
			}
			out[b*units+o] = math.Min(math.Max(float64(v)+zo, lo), hi)
		}
	}
	return out
}

func fcOpts(act ops.Activation, keep bool) build.Options {
	return bOpts(build.OptFullyConnected, 0, int8(act), 2, keep)
}

func TestFullyConnectedFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		inShape     []int
		units       int
		bias        bool
		act         ops.Activation
		keep        bool
		constW      bool
		threads     int
		wantOutDims []int
	}{
		{inShape: []int{1, 1}, units: 1, bias: true, constW: true},
		{inShape: []int{1, 5}, units: 3, bias: false, act: ops.ActRelu, constW: true},
		{inShape: []int{3, 17}, units: 13, bias: true, act: ops.ActRelu6, constW: true},
		{inShape: []int{2, 3, 8}, units: 6, bias: true, act: ops.ActReluN1To1, keep: true, constW: true},
		{inShape: []int{2, 3, 8}, units: 6, bias: true, constW: true},
		{inShape: []int{4, 9}, units: 7, bias: true, constW: false},
		{inShape: []int{5, 33}, units: 70, bias: true, act: ops.ActRelu, constW: true, threads: 3},
		{inShape: []int{1, 64}, units: 130, bias: true, constW: true, threads: 2},
	}
	for _, c := range cases {
		k := c.inShape[len(c.inShape)-1]
		size := 1
		for _, d := range c.inShape {
			size *= d
		}
		batches := size / k
		name := fmt.Sprintf("in%v_u%d_bias%v_act%d_keep%v_const%v_t%d", c.inShape, c.units, c.bias, c.act, c.keep, c.constW, c.threads)
		t.Run(name, func(t *testing.T) {
			x, w := bRandF(r, size, 2), bRandF(r, c.units*k, 1)
			var bias []float64
			ins := []*bT{bIn(models.Float32, c.inShape, nil, x), {dt: models.Float32, shape: []int{c.units, k}, vals: w, konst: c.constW}}
			if c.bias {
				bias = bRandF(r, c.units, 1)
				ins = append(ins, bConst(models.Float32, []int{c.units}, nil, bias))
			}
			outShape := []int{batches, c.units}
			if c.keep {
				outShape = append(append([]int(nil), c.inShape[:len(c.inShape)-1]...), c.units)
			}
			o := &bOp{op: ops.OpFullyConnected, opts: fcOpts(c.act, c.keep), ins: ins,
				out: &bT{dt: models.Float32, shape: outShape}, threads: c.threads}
			got := o.mustRun(t, outShape)
			bClose(t, name, got, refFC(x, w, bias, batches, k, c.units, c.act), 1e-5, 1e-5)
		})
	}
}

// fcQCase is one quantized FULLY_CONNECTED configuration.
type fcQCase struct {
	name          string
	dt, wdt       models.DType
	batches, k, u int
	sx, sw, so    float64
	zx, zw, zo    float64
	perChannel    bool
	bias          bool
	biasDT        models.DType
	act           ops.Activation
	threads       int
	constW        bool
}

func TestFullyConnectedQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []fcQCase{
		{name: "int8", dt: models.Int8, wdt: models.Int8, batches: 2, k: 10, u: 7, sx: 0.05, sw: 0.02, so: 0.1, zx: 3, zo: -5, bias: true, biasDT: models.Int32, constW: true},
		{name: "int8_zp_edges", dt: models.Int8, wdt: models.Int8, batches: 1, k: 33, u: 5, sx: 0.03, sw: 0.01, so: 0.05, zx: -128, zo: 127, bias: true, biasDT: models.Int32, constW: true},
		{name: "int8_saturate", dt: models.Int8, wdt: models.Int8, batches: 3, k: 20, u: 9, sx: 0.5, sw: 0.3, so: 0.01, zx: 0, zo: 0, bias: false, constW: true},
		{name: "int8_relu6", dt: models.Int8, wdt: models.Int8, batches: 2, k: 12, u: 6, sx: 0.1, sw: 0.1, so: 0.05, zx: 5, zo: -100, bias: true, biasDT: models.Int32, act: ops.ActRelu6, constW: true},
		{name: "int8_per_channel", dt: models.Int8, wdt: models.Int8, batches: 2, k: 16, u: 11, sx: 0.04, sw: 0.02, so: 0.08, zx: -7, zo: 9, perChannel: true, bias: true, biasDT: models.Int32, constW: true},
		{name: "int8_filter_zp", dt: models.Int8, wdt: models.Int8, batches: 2, k: 9, u: 4, sx: 0.04, sw: 0.02, so: 0.08, zx: 1, zw: -3, zo: 2, bias: true, biasDT: models.Int32, constW: true},
		{name: "int8_weights_input", dt: models.Int8, wdt: models.Int8, batches: 2, k: 9, u: 6, sx: 0.04, sw: 0.02, so: 0.08, zx: 11, zo: -2, bias: true, biasDT: models.Int32},
		{name: "int8_threads", dt: models.Int8, wdt: models.Int8, batches: 1, k: 40, u: 77, sx: 0.02, sw: 0.02, so: 0.05, zx: 1, zo: -1, perChannel: true, bias: true, biasDT: models.Int32, threads: 3, constW: true},
		{name: "uint8", dt: models.UInt8, wdt: models.UInt8, batches: 2, k: 14, u: 5, sx: 0.02, sw: 0.01, so: 0.1, zx: 128, zw: 120, zo: 100, bias: true, biasDT: models.Int32, act: ops.ActRelu, constW: true},
		{name: "int16_int64bias", dt: models.Int16, wdt: models.Int8, batches: 2, k: 12, u: 6, sx: 0.001, sw: 0.01, so: 0.002, perChannel: true, bias: true, biasDT: models.Int64, constW: true},
		{name: "int16_int32bias", dt: models.Int16, wdt: models.Int8, batches: 2, k: 12, u: 6, sx: 0.001, sw: 0.01, so: 0.002, bias: true, biasDT: models.Int32, constW: true},
		{name: "int16_int16w", dt: models.Int16, wdt: models.Int16, batches: 2, k: 7, u: 3, sx: 0.001, sw: 0.00005, so: 0.002, bias: true, biasDT: models.Int64, constW: true},
		// Depths past the vector step of gemmRow16 (16), with tails.
		{name: "int16_long", dt: models.Int16, wdt: models.Int8, batches: 2, k: 300, u: 9, sx: 0.001, sw: 0.01, so: 0.05, perChannel: true, bias: true, biasDT: models.Int64, constW: true},
		{name: "int16_acc32_weights_input", dt: models.Int16, wdt: models.Int8, batches: 3, k: 70, u: 13, sx: 0.001, sw: 0.01, so: 0.02, bias: true, biasDT: models.Int32},
		{name: "int16_filter_zp", dt: models.Int16, wdt: models.Int8, batches: 2, k: 37, u: 5, sx: 0.001, sw: 0.01, so: 0.01, zw: -3, bias: true, biasDT: models.Int64, constW: true},
		{name: "int16_int16w_long", dt: models.Int16, wdt: models.Int16, batches: 2, k: 45, u: 6, sx: 0.001, sw: 0.00005, so: 0.01, bias: true, biasDT: models.Int64, constW: true},
		{name: "int16_threads", dt: models.Int16, wdt: models.Int8, batches: 1, k: 64, u: 77, sx: 0.001, sw: 0.01, so: 0.03, perChannel: true, bias: true, biasDT: models.Int64, threads: 3, constW: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runFCQ(t, r, c) })
	}
}

func runFCQ(t *testing.T, r *rand.Rand, c fcQCase) {
	xlo, xhi := bRange(c.dt)
	wlo, whi := bRange(c.wdt)
	if c.wdt == models.Int8 {
		wlo = -127 // symmetric weights, as the converter writes them
	}
	qx := bRandQ(r, c.batches*c.k, xlo, xhi)
	qw := bRandQ(r, c.u*c.k, wlo, whi)
	sws := make([]float64, c.u)
	for o := range sws {
		sws[o] = c.sw
		if c.perChannel {
			sws[o] = c.sw * (0.5 + float64(o%5)/4)
		}
	}
	wq := bQ(c.sw, int64(c.zw))
	if c.perChannel {
		wq = bQC(sws, 0)
	}
	var qb, bias []float64
	ins := []*bT{bIn(c.dt, []int{c.batches, c.k}, bQ(c.sx, int64(c.zx)), qx),
		{dt: c.wdt, shape: []int{c.u, c.k}, q: wq, vals: qw, konst: c.constW}}
	if c.bias {
		qb = bRandQ(r, c.u, -3000, 3000)
		bias = make([]float64, c.u)
		for o := range bias {
			bias[o] = qb[o] * c.sx * sws[o]
		}
		ins = append(ins, bConst(c.biasDT, []int{c.u}, bQ(c.sx*c.sw, 0), qb))
	}
	o := &bOp{op: ops.OpFullyConnected, opts: fcOpts(c.act, false), ins: ins,
		out: &bT{dt: c.dt, shape: []int{c.batches, c.u}, q: bQ(c.so, int64(c.zo))}, threads: c.threads}
	got := o.mustRun(t, []int{c.batches, c.u})

	// Reals: dequantize, multiply, quantize.
	x := bDequant(qx, c.sx, c.zx)
	w := make([]float64, len(qw))
	for i, v := range qw {
		w[i] = sws[i/c.k] * (v - c.zw)
	}
	lo, hi := bActQ(c.act, c.dt, c.so, c.zo)
	want := bQuantize(refFC(x, w, bias, c.batches, c.k, c.u, ops.ActNone), c.so, c.zo, lo, hi)
	tol := 1.0
	if c.dt == models.Int16 {
		tol = 2 // the Q15 multiplier of the 64-bit path
	}
	bClose(t, c.name+" vs reals", got, want, tol, 0)

	// Integers: TFLite's arithmetic, exactly.
	f := func(v float64) float64 { return float64(float32(v)) }
	mult := make([]float64, c.u)
	for i := range mult {
		if c.perChannel {
			mult[i] = f(c.sx) * f(sws[i]) / f(c.so)
		} else {
			mult[i] = bF32Prod(c.sx, c.sw) / f(c.so)
		}
	}
	wide := c.dt == models.Int16 && (c.biasDT == models.Int64 || c.wdt == models.Int16)
	zw := c.zw
	if c.perChannel {
		zw = 0
	}
	exact := refFCInt(qx, qw, qb, c.zx, zw, c.batches, c.k, c.u, mult, c.zo, lo, hi, wide)
	bClose(t, c.name+" vs integer reference", got, exact, 0, 0)
}

// bHybridQuant quantizes one row to int8 as TFLite's hybrid kernels do
// (BatchQuantizeFloats, float32 arithmetic): symmetric over max|v|, or
// asymmetric over [min(v,0), max(v,0)]. It returns the values, the scale
// and the zero point.
func bHybridQuant(row []float64, asym bool) ([]float64, float64, float64) {
	q, sf, zp := make([]float64, len(row)), 1.0, 0.0
	lo, hi := 0.0, 0.0
	if !asym && len(row) > 0 {
		lo, hi = row[0], row[0]
	}
	for _, v := range row {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if asym {
		if lo != hi {
			d := (hi - lo) / 255
			zp = math.Round(-128 - lo/d)
			if math.Abs(-128)+math.Abs(lo/d) >= math.Abs(127)+math.Abs(hi/d) {
				zp = math.Round(127 - hi/d)
			}
			zp = math.Min(math.Max(zp, -128), 127)
			sf = float64(float32(d))
			inv := 1 / float32(d)
			for i, v := range row {
				q[i] = math.Min(math.Max(math.Round(float64(float32(zp)+float32(v)*inv)), -128), 127)
			}
		}
	} else if r := float32(math.Max(math.Abs(lo), math.Abs(hi))); r > 0 {
		sf = float64(r / 127)
		inv := 127 / r
		for i, v := range row {
			q[i] = math.Min(math.Max(math.Round(float64(float32(v)*inv)), -127), 127)
		}
	}
	return q, sf, zp
}

// refHybrid reproduces TFLite's hybrid FULLY_CONNECTED: each input row is
// quantized to int8 (symmetric or asymmetric), multiplied in integers with
// the int8 weights and scaled back.
func refHybrid(x, qw, bias []float64, sws []float64, batches, k, units int, asym bool, act ops.Activation) []float64 {
	out := make([]float64, batches*units)
	for b := 0; b < batches; b++ {
		q, sf, zp := bHybridQuant(x[b*k:(b+1)*k], asym)
		for o := 0; o < units; o++ {
			dot := 0.0
			for i := 0; i < k; i++ {
				dot += qw[o*k+i] * (q[i] - zp)
			}
			s := dot * sf * sws[o]
			if bias != nil {
				s += bias[o]
			}
			out[b*units+o] = bActF(act, s)
		}
	}
	return out
}

func TestFullyConnectedHybrid(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, asym := range []bool{false, true} {
		for _, perChannel := range []bool{false, true} {
			for _, act := range []ops.Activation{ops.ActNone, ops.ActRelu, ops.ActTanh} {
				name := fmt.Sprintf("asym%v_pc%v_act%d", asym, perChannel, act)
				t.Run(name, func(t *testing.T) {
					batches, k, u := 3, 19, 10
					x := bRandF(r, batches*k, 3)
					for i := range x[:k] {
						x[i] = math.Abs(x[i]) // a row without negatives
					}
					qw := bRandQ(r, u*k, -127, 127)
					sws := make([]float64, u)
					for o := range sws {
						sws[o] = 0.01
						if perChannel {
							sws[o] = 0.005 + 0.002*float64(o)
						}
						sws[o] = float64(float32(sws[o]))
					}
					wq := bQ(0.01, 0)
					if perChannel {
						wq = bQC(sws, 0)
					}
					bias := bRandF(r, u, 0.5)
					o := &bOp{op: ops.OpFullyConnected, version: 7,
						opts: bOpts(build.OptFullyConnected, 0, int8(act), 3, asym),
						ins: []*bT{bIn(models.Float32, []int{batches, k}, nil, x),
							bConst(models.Int8, []int{u, k}, wq, qw),
							bConst(models.Float32, []int{u}, nil, bias)},
						out: &bT{dt: models.Float32, shape: []int{batches, u}}}
					got := o.mustRun(t, []int{batches, u})
					bClose(t, name, got, refHybrid(x, qw, bias, sws, batches, k, u, asym, act), 1e-4, 1e-4)
					// The quantization error stays within a few input steps.
					w := make([]float64, len(qw))
					for i, v := range qw {
						w[i] = v * sws[i/k]
					}
					bClose(t, name+" vs reals", got, refFC(x, w, bias, batches, k, u, act), 0.05, 0.02)
				})
			}
		}
	}
}

func TestFullyConnectedErrors(t *testing.T) {
	f := models.Float32
	x := make([]float64, 6)
	base := func() *bOp {
		return &bOp{op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
			ins: []*bT{bIn(f, []int{2, 3}, nil, x), bConst(f, []int{4, 3}, nil, make([]float64, 12)), bConst(f, []int{4}, nil, make([]float64, 4))},
			out: &bT{dt: f, shape: []int{2, 4}}}
	}
	o := base()
	o.ins[1] = bConst(f, []int{4, 3, 1}, nil, make([]float64, 12))
	o.wantError(t, "FULLY_CONNECTED", "filter must be 2-D")
	o = base()
	o.ins[2] = bConst(f, []int{5}, nil, make([]float64, 5))
	o.wantError(t, "bias has 5 elements for 4 units")
	o = base()
	o.opts = fcOpts(ops.ActTanh, false)
	o.wantError(t, "fused activation 4 is not supported")
	o = base()
	o.opts = bOpts(build.OptFullyConnected, 0, int8(9))
	o.wantError(t, "fused activation 9")
	o = base()
	o.opts = bOpts(build.OptFullyConnected, 1, int8(1))
	o.wantError(t, "weights format 1")
	o = base()
	o.ins[0] = bIn(f, []int{3, 2}, nil, x)
	o.opts = fcOpts(ops.ActNone, true)
	o.wantError(t, "keep_num_dims")
	o = base()
	o.ins[0] = bIn(models.Int32, []int{2, 3}, nil, x)
	o.out.dt = models.Int32
	o.wantError(t, "input type int32 is not supported")
	q := &bOp{op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
		ins: []*bT{bIn(models.Int8, []int{1, 3}, bQ(0, 0), x[:3]), bConst(models.Int8, []int{2, 3}, bQ(0.1, 0), x),
			bConst(models.Int32, []int{2}, nil, x[:2])},
		out: &bT{dt: models.Int8, shape: []int{1, 2}, q: bQ(0.1, 0)}}
	q.wantError(t, "input tensor", "invalid scale 0")
	q.ins[0].q = bQ(0.1, 0)
	q.ins[1].q = bQC([]float64{0.1, 0.1, 0.1}, 0)
	q.wantError(t, "3 scales")
	q.ins[1].q = bQ(0.1, 0)
	q.out.dt = models.Int16
	q.wantError(t, "int8 input needs a int8 output")
}

// TestFullyConnectedZeroDepth follows TFLite: a filter of depth 0 gives
// zeros.
func TestFullyConnectedZeroDepth(t *testing.T) {
	o := &bOp{op: ops.OpFullyConnected, ins: []*bT{bIn(models.Float32, []int{2, 0}, nil, nil), bConst(models.Float32, []int{3, 0}, nil, nil)},
		out: &bT{dt: models.Float32, shape: []int{2, 3}}}
	got := o.mustRun(t, []int{2, 3})
	bClose(t, "zero depth", got, make([]float64, 6), 0, 0)
}

// TestDenseZeroAllocs checks that Invoke allocates nothing once prepared.
func TestDenseZeroAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, threads := range []int{1, 2} {
		o := &bOp{op: ops.OpFullyConnected, opts: fcOpts(ops.ActRelu, false), threads: threads,
			ins: []*bT{bIn(models.Int8, []int{4, 32}, bQ(0.1, 3), bRandQ(r, 128, -128, 127)),
				bConst(models.Int8, []int{40, 32}, bQ(0.01, 0), bRandQ(r, 1280, -127, 127)),
				bConst(models.Int32, []int{40}, nil, bRandQ(r, 40, -100, 100))},
			out: &bT{dt: models.Int8, shape: []int{4, 40}, q: bQ(0.2, -1)}}
		it, err := o.load()
		if err != nil {
			t.Fatal(err)
		}
		o.feed(it)
		ctx := context.Background()
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(20, func() { _ = it.Invoke(ctx) }); a != 0 {
			t.Errorf("threads %d: %v allocations per Invoke, want 0", threads, a)
		}
		it.Close()
	}
}

// int16Ops are int16-activation layers on gemmRow16 (FULLY_CONNECTED with
// int8 and int16 weights, CONV_2D, BATCH_MATMUL with a constant and an
// input rhs) and BATCH_MATMUL's int8 and hybrid cases on gemmRowI8.
func int16Ops(r *rand.Rand, k, units int) map[string]*bOp {
	g := cgeom{n: 1, h: 12, w: 12, cin: k / 9, cout: units, fh: 3, fw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pad: 0, groups: 1}
	oh, ow, _, _ := g.out()
	return map[string]*bOp{
		"fc16x8": {op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
			ins: []*bT{bIn(models.Int16, []int{1, k}, bQ(0.001, 0), bRandQ(r, k, -32768, 32767)),
				bConst(models.Int8, []int{units, k}, bQ(0.01, 0), bRandQ(r, units*k, -127, 127)),
				bConst(models.Int64, []int{units}, nil, bRandQ(r, units, -1000, 1000))},
			out: &bT{dt: models.Int16, shape: []int{1, units}, q: bQ(0.1, 0)}},
		"fc16x16": {op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
			ins: []*bT{bIn(models.Int16, []int{1, k}, bQ(0.001, 0), bRandQ(r, k, -32768, 32767)),
				bConst(models.Int16, []int{units, k}, bQ(0.0001, 0), bRandQ(r, units*k, -2000, 2000))},
			out: &bT{dt: models.Int16, shape: []int{1, units}, q: bQ(0.1, 0)}},
		"conv16x8": {op: ops.OpConv2d, opts: convOpts(g, ops.ActNone),
			ins: []*bT{bIn(models.Int16, []int{1, g.h, g.w, g.cin}, bQ(0.001, 0), bRandQ(r, g.h*g.w*g.cin, -32768, 32767)),
				bConst(models.Int8, []int{units, 3, 3, g.cin}, bQ(0.01, 0), bRandQ(r, units*9*g.cin, -127, 127)),
				bConst(models.Int64, []int{units}, nil, bRandQ(r, units, -1000, 1000))},
			out: &bT{dt: models.Int16, shape: []int{1, oh, ow, units}, q: bQ(0.1, 0)}},
		"bmm16x8_input_rhs": {op: ops.OpBatchMatmul, opts: bmmOpts(false, false, false),
			ins: []*bT{bIn(models.Int16, []int{4, k}, bQ(0.001, 0), bRandQ(r, 4*k, -32768, 32767)),
				bIn(models.Int8, []int{k, units}, bQ(0.01, 0), bRandQ(r, units*k, -127, 127))},
			out: &bT{dt: models.Int16, shape: []int{4, units}, q: bQ(0.1, 0)}},
		"bmm8_input_rhs": {op: ops.OpBatchMatmul, opts: bmmOpts(false, false, false),
			ins: []*bT{bIn(models.Int8, []int{4, k}, bQ(0.01, 2), bRandQ(r, 4*k, -128, 127)),
				bIn(models.Int8, []int{k, units}, bQ(0.01, -1), bRandQ(r, units*k, -127, 127))},
			out: &bT{dt: models.Int8, shape: []int{4, units}, q: bQ(0.5, 0)}},
		"bmm_hybrid": {op: ops.OpBatchMatmul, version: 4, opts: bmmOpts(false, true, false),
			ins: []*bT{bIn(models.Float32, []int{4, k}, nil, bRandF(r, 4*k, 1)),
				bConst(models.Int8, []int{units, k}, bQ(0.01, 0), bRandQ(r, units*k, -127, 127))},
			out: &bT{dt: models.Float32, shape: []int{4, units}}},
	}
}

// TestInt16OpsZeroAllocs checks that Invoke allocates nothing on the
// int16 GEMM and BATCH_MATMUL paths, including an rhs packed every Eval.
func TestInt16OpsZeroAllocs(t *testing.T) {
	for name, o := range int16Ops(rand.New(rand.NewPCG(5, 6)), 72, 20) {
		it, err := o.load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o.feed(it)
		ctx := context.Background()
		if err := it.Invoke(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a := testing.AllocsPerRun(20, func() { _ = it.Invoke(ctx) }); a != 0 {
			t.Errorf("%s: %v allocations per Invoke, want 0", name, a)
		}
		it.Close()
	}
}

// BenchmarkInt16Ops times one Invoke of each int16Ops layer at depth 1152
// (conv: 3x3x128 patches over a 10x10 output) and 64 channels.
func BenchmarkInt16Ops(b *testing.B) {
	all := int16Ops(rand.New(rand.NewPCG(5, 6)), 1152, 64)
	for _, name := range []string{"fc16x8", "fc16x16", "conv16x8", "bmm16x8_input_rhs", "bmm8_input_rhs", "bmm_hybrid"} {
		b.Run(name, func(b *testing.B) {
			o := all[name]
			it, err := o.load()
			if err != nil {
				b.Fatal(err)
			}
			defer it.Close()
			o.feed(it)
			ctx := context.Background()
			for b.Loop() {
				if err := it.Invoke(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
