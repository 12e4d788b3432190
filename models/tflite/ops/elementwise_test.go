package ops_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// ewtShapePairs cover the broadcasting cases: same shapes, scalars on
// either side, a trailing "bias", an outer product, rank mismatch, 6-D
// interleaved broadcasting, a single element and an empty tensor.
var ewtShapePairs = [][2][]int{
	{{2, 3, 4}, {2, 3, 4}},
	{{1}, {2, 3}},
	{{2, 3}, {}},
	{{2, 3, 4}, {4}},
	{{3, 1}, {1, 4}},
	{{5}, {2, 3, 5}},
	{{4, 1, 5}, {1, 3, 1}},
	{{2, 1, 3, 1, 2, 2}, {1, 2, 1, 3, 1, 2}},
	{{1, 1, 1}, {1}},
	{{0, 3}, {1, 3}},
}

var ewtActs = []struct {
	name   string
	a      ops.Activation
	lo, hi float64
}{
	{"none", ops.ActNone, math.Inf(-1), math.Inf(1)},
	{"relu", ops.ActRelu, 0, math.Inf(1)},
	{"relu6", ops.ActRelu6, 0, 6},
	{"relu_n1_to_1", ops.ActReluN1To1, -1, 1},
}

type ewtBinOp struct {
	op     ops.Op
	opt    build.OptionType
	hasAct bool
	f      func(a, b float64) float64
}

var ewtBinOps = []ewtBinOp{
	{ops.OpAdd, build.OptAdd, true, func(a, b float64) float64 { return a + b }},
	{ops.OpSub, build.OptSub, true, func(a, b float64) float64 { return a - b }},
	{ops.OpMul, build.OptMul, true, func(a, b float64) float64 { return a * b }},
	{ops.OpDiv, build.OptDiv, true, func(a, b float64) float64 { return a / b }},
	{ops.OpSquaredDifference, build.OptSquaredDifference, false, func(a, b float64) float64 {
		d := float64(float32(a - b)) // float32 kernels round the difference first
		return d * d
	}},
	{ops.OpMaximum, build.OptMaximumMinimum, false, math.Max},
	{ops.OpMinimum, build.OptMaximumMinimum, false, math.Min},
}

// ewtDivisor keeps divisors away from zero.
func ewtDivisor(v []float64) []float64 {
	for i, x := range v {
		if math.Abs(x) < 0.5 {
			v[i] = x + math.Copysign(0.75, x+1e-9)
		}
	}
	return v
}

func TestEwBinaryFloat(t *testing.T) {
	for _, bo := range ewtBinOps {
		acts := ewtActs[:1]
		if bo.hasAct {
			acts = ewtActs
		}
		for _, act := range acts {
			for _, sp := range ewtShapePairs {
				name := fmt.Sprintf("%s/%s/%v%v", bo.op, act.name, sp[0], sp[1])
				t.Run(name, func(t *testing.T) {
					a := ewtPattern(ewtNumel(sp[0]), 1, -4, 4, false)
					b := ewtPattern(ewtNumel(sp[1]), 2, -3, 3, false)
					for i := range a {
						a[i] = float64(float32(a[i]))
					}
					for i := range b {
						b[i] = float64(float32(b[i]))
					}
					if bo.op == ops.OpDiv {
						b = ewtDivisor(b)
					}
					shape, idx := ewtBroadcast(sp[0], sp[1])
					want := make([]float64, len(idx))
					for e, ix := range idx {
						r := float64(float32(bo.f(a[ix[0]], b[ix[1]])))
						want[e] = math.Min(math.Max(r, act.lo), act.hi)
					}
					var opt build.Options
					if bo.hasAct {
						opt = ewtOpt(bo.opt, act.a)
					}
					ins := []ewtT{{dt: models.Float32, shape: sp[0], vals: a}, {dt: models.Float32, shape: sp[1], vals: b, konst: true}}
					dt, gotShape, got := ewtRun(t, bo.op, 1, opt, ins, ewtT{dt: models.Float32, shape: shape})
					if dt != models.Float32 || !slices.Equal(gotShape, shape) {
						t.Fatalf("output %s %v, want float32 %v", dt, gotShape, shape)
					}
					ewtCompare(t, name, shape, got, want, 1e-6)
				})
			}
		}
	}
}

func TestEwBinaryInt(t *testing.T) {
	for _, dt := range []models.DType{models.Int32, models.Int64, models.Int16} {
		for _, bo := range ewtBinOps {
			if (bo.op == ops.OpDiv && dt != models.Int32) || (dt == models.Int16 && bo.op == ops.OpSquaredDifference) {
				continue
			}
			for _, act := range []int{0, 1, 2} {
				if act > 0 && !bo.hasAct {
					continue
				}
				for _, sp := range ewtShapePairs[:8] {
					name := fmt.Sprintf("%s/%s/act%d/%v%v", dt, bo.op, act, sp[0], sp[1])
					a := ewtPattern(ewtNumel(sp[0]), 3, -90, 90, true)
					b := ewtPattern(ewtNumel(sp[1]), 4, -20, 20, true)
					for i := range b {
						if b[i] == 0 {
							b[i] = 7
						}
					}
					shape, idx := ewtBroadcast(sp[0], sp[1])
					want := make([]float64, len(idx))
					for e, ix := range idx {
						x, y := a[ix[0]], b[ix[1]]
						r := bo.f(x, y)
						if bo.op == ops.OpDiv {
							r = math.Trunc(x / y)
						}
						want[e] = math.Min(math.Max(r, ewtActs[act].lo), ewtActs[act].hi)
					}
					var opt build.Options
					if bo.hasAct {
						opt = ewtOpt(bo.opt, ewtActs[act].a)
					}
					ins := []ewtT{{dt: dt, shape: sp[0], vals: a}, {dt: dt, shape: sp[1], vals: b}}
					_, _, got := ewtRun(t, bo.op, 1, opt, ins, ewtT{dt: dt, shape: shape})
					ewtCompare(t, name, shape, got, want, 0)
				}
			}
		}
	}
}

// ewtQuantCase is a quantization of two inputs and an output.
type ewtQuantCase struct {
	name       string
	dt         models.DType
	q1, q2, qo *models.Quant
}

var ewtQuantCases = []ewtQuantCase{
	{"int8", models.Int8, ewtQ(0.05, -3), ewtQ(0.1, 7), ewtQ(0.15, 2)},
	{"int8-edge-zp", models.Int8, ewtQ(0.02, -128), ewtQ(0.03, 127), ewtQ(0.04, -128)},
	{"int8-saturating", models.Int8, ewtQ(0.5, 0), ewtQ(0.5, 0), ewtQ(0.01, 0)},
	{"uint8", models.UInt8, ewtQ(0.04, 128), ewtQ(0.08, 100), ewtQ(0.1, 120)},
	{"uint8-edge-zp", models.UInt8, ewtQ(0.03, 0), ewtQ(0.05, 255), ewtQ(0.06, 0)},
	{"int16", models.Int16, ewtQ(1.0/2000, 0), ewtQ(1.0/3000, 0), ewtQ(1.0/1500, 0)},
}

// ewtQuantBinary runs a quantized binary op against the float reference:
// dequantize, compute, clamp to the activation, requantize.
func ewtQuantBinary(t *testing.T, bo ewtBinOp, qc ewtQuantCase, act int, sp [2][]int, tol float64) {
	t.Helper()
	lo, hi := ops.TypeRange(qc.dt)
	a := ewtPattern(ewtNumel(sp[0]), 5, float64(lo), float64(hi), true)
	b := ewtPattern(ewtNumel(sp[1]), 6, float64(lo), float64(hi), true)
	if bo.op == ops.OpDiv {
		// Keep divisors at least a few steps away from zero.
		for i, c := range b {
			if math.Abs(c-float64(qc.q2.ZeroPoint[0])) < 4 {
				b[i] = float64(qc.q2.ZeroPoint[0]) + 4
				if b[i] > float64(hi) {
					b[i] -= 8
				}
			}
		}
	}
	ra, rb := ewtDequantize(qc.q1, a), ewtDequantize(qc.q2, b)
	shape, idx := ewtBroadcast(sp[0], sp[1])
	real := make([]float64, len(idx))
	for e, ix := range idx {
		real[e] = math.Min(math.Max(bo.f(ra[ix[0]], rb[ix[1]]), ewtActs[act].lo), ewtActs[act].hi)
	}
	want := ewtQuantize(qc.dt, qc.qo, real)
	var opt build.Options
	if bo.hasAct {
		opt = ewtOpt(bo.opt, ewtActs[act].a)
	}
	ins := []ewtT{{dt: qc.dt, shape: sp[0], q: qc.q1, vals: a}, {dt: qc.dt, shape: sp[1], q: qc.q2, vals: b}}
	_, _, got := ewtRun(t, bo.op, 2, opt, ins, ewtT{dt: qc.dt, shape: shape, q: qc.qo})
	ewtCompare(t, fmt.Sprintf("%s/%s/act%d/%v%v", bo.op, qc.name, act, sp[0], sp[1]), shape, got, want, tol)
}

func TestEwBinaryQuant(t *testing.T) {
	for _, bo := range ewtBinOps[:5] {
		for _, qc := range ewtQuantCases {
			if bo.op == ops.OpSquaredDifference && qc.dt != models.Int8 {
				continue
			}
			for _, act := range []int{0, 1, 2, 3} {
				if act > 0 && (!bo.hasAct || qc.name != "int8" && qc.name != "uint8") {
					continue
				}
				for _, sp := range [][2][]int{{{2, 3, 4}, {2, 3, 4}}, {{3, 1}, {1, 4}}, {{2, 3}, {1}}, {{1}, {2, 3}}} {
					ewtQuantBinary(t, bo, qc, act, sp, 1)
				}
			}
		}
	}
}

// TestEwAddSubInt16POT covers TFLite's power-of-two int16 path: the finer
// input is rounding-shifted to the output scale and the sum saturates.
func TestEwAddSubInt16POT(t *testing.T) {
	q1, q2, qo := ewtQ(1.0/1024, 0), ewtQ(1.0/4096, 0), ewtQ(1.0/1024, 0)
	a := ewtPattern(24, 1, -32768, 32767, true)
	b := ewtPattern(24, 2, -32768, 32767, true)
	for _, bo := range ewtBinOps[:2] {
		want := make([]float64, len(a))
		for i := range a {
			s := math.Round(b[i] / 4) // to the output scale, half away from zero
			r := a[i] + s
			if bo.op == ops.OpSub {
				r = a[i] - s
			}
			want[i] = math.Min(math.Max(r, -32768), 32767)
		}
		ins := []ewtT{{dt: models.Int16, shape: []int{2, 12}, q: q1, vals: a}, {dt: models.Int16, shape: []int{2, 12}, q: q2, vals: b}}
		_, _, got := ewtRun(t, bo.op, 3, ewtOpt(bo.opt, ops.ActNone, true), ins, ewtT{dt: models.Int16, shape: []int{2, 12}, q: qo})
		ewtCompare(t, bo.op.String()+" pot", []int{2, 12}, got, want, 0)
		// The same scales with pot_scale_int16 false take the general path.
		_, _, got = ewtRun(t, bo.op, 3, ewtOpt(bo.opt, ops.ActNone, false), ins, ewtT{dt: models.Int16, shape: []int{2, 12}, q: qo})
		ewtCompare(t, bo.op.String()+" general", []int{2, 12}, got, want, 1)
	}
}

func TestEwMulInt16ToInt8(t *testing.T) {
	q16 := ewtQ(1.0/32768, 0)
	qo := ewtQ(1.0/128, 0)
	a := ewtPattern(12, 1, -32768, 32767, true)
	b := ewtPattern(12, 2, -32768, 32767, true)
	want := make([]float64, len(a))
	for i := range a {
		want[i] = math.Min(math.Max(math.Round(a[i]*b[i]/(1<<23)), -128), 127)
	}
	ins := []ewtT{{dt: models.Int16, shape: []int{12}, q: q16, vals: a}, {dt: models.Int16, shape: []int{12}, q: q16, vals: b}}
	_, _, got := ewtRun(t, ops.OpMul, 4, ewtOpt(build.OptMul, ops.ActNone), ins, ewtT{dt: models.Int8, shape: []int{12}, q: qo})
	ewtCompare(t, "MUL int16->int8", []int{12}, got, want, 1)
}

func TestEwBinaryErrors(t *testing.T) {
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	out := ewtT{dt: models.Float32, shape: []int{2, 3}}
	err := ewtErr(t, ops.OpAdd, 1, build.Options{}, []ewtT{f(2, 3), f(4, 3)}, out)
	ewtWantErr(t, err, ops.OpAdd, "not broadcast-compatible")

	err = ewtErr(t, ops.OpSub, 1, build.Options{}, []ewtT{f(2, 3), {dt: models.Int32, shape: []int{2, 3}, vals: make([]float64, 6)}}, out)
	ewtWantErr(t, err, ops.OpSub, "input types differ")

	err = ewtErr(t, ops.OpMul, 1, ewtOpt(build.OptMul, ops.ActTanh), []ewtT{f(2, 3), f(2, 3)}, out)
	ewtWantErr(t, err, ops.OpMul, "TANH")

	err = ewtErr(t, ops.OpAdd, 1, ewtOpt(build.OptAdd, uint8(9)), []ewtT{f(2, 3), f(2, 3)}, out)
	ewtWantErr(t, err, ops.OpAdd, "unknown fused activation 9")

	// Integer division by zero is an Invoke error, not a panic.
	i32 := func(v ...float64) ewtT { return ewtT{dt: models.Int32, shape: []int{len(v)}, vals: v} }
	err = ewtErr(t, ops.OpDiv, 1, build.Options{}, []ewtT{i32(1, 2, 3), i32(1, 0, 1)}, ewtT{dt: models.Int32, shape: []int{3}})
	ewtWantErr(t, err, ops.OpDiv, "division by zero", "element 1")

	q := ewtQ(0.1, 3)
	i8 := func(q *models.Quant, v ...float64) ewtT {
		return ewtT{dt: models.Int8, shape: []int{len(v)}, q: q, vals: v}
	}
	err = ewtErr(t, ops.OpDiv, 2, build.Options{}, []ewtT{i8(q, 1, 2), i8(q, 5, 3)}, ewtT{dt: models.Int8, shape: []int{2}, q: q})
	ewtWantErr(t, err, ops.OpDiv, "division by zero", "element 1")

	// Quantized tensors need sane quantization parameters.
	err = ewtErr(t, ops.OpAdd, 2, build.Options{}, []ewtT{i8(nil, 1), i8(q, 1)}, ewtT{dt: models.Int8, shape: []int{1}, q: q})
	ewtWantErr(t, err, ops.OpAdd, "no quantization parameters")
	err = ewtErr(t, ops.OpAdd, 2, build.Options{}, []ewtT{i8(ewtQ(0, 0), 1), i8(q, 1)}, ewtT{dt: models.Int8, shape: []int{1}, q: q})
	ewtWantErr(t, err, ops.OpAdd, "invalid scale 0")
	err = ewtErr(t, ops.OpAdd, 2, build.Options{}, []ewtT{i8(ewtQ(0.1, 300), 1), i8(q, 1)}, ewtT{dt: models.Int8, shape: []int{1}, q: q})
	ewtWantErr(t, err, ops.OpAdd, "zero point 300")
	i16 := func(q *models.Quant) ewtT { return ewtT{dt: models.Int16, shape: []int{1}, q: q, vals: []float64{1}} }
	err = ewtErr(t, ops.OpAdd, 3, build.Options{}, []ewtT{i16(ewtQ(0.1, 1)), i16(ewtQ(0.1, 0))}, ewtT{dt: models.Int16, shape: []int{1}, q: ewtQ(0.1, 0)})
	ewtWantErr(t, err, ops.OpAdd, "zero point 0")

	// Unsupported types and versions.
	b := ewtT{dt: models.Bool, shape: []int{2}, vals: []float64{1, 0}}
	err = ewtErr(t, ops.OpAdd, 1, build.Options{}, []ewtT{b, b}, ewtT{dt: models.Bool, shape: []int{2}})
	ewtWantErr(t, err, ops.OpAdd, "input type bool")
	err = ewtErr(t, ops.OpAdd, 7, build.Options{}, []ewtT{f(1), f(1)}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpAdd, "version 7")
	err = ewtErr(t, ops.OpAdd, 1, build.Options{}, []ewtT{f(1)}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpAdd, "expects 2 inputs")
}

// TestEwOutputTypeFromInput checks that, as in TFLite, ADD gives its output
// the input type even when the file declares another one.
func TestEwOutputTypeFromInput(t *testing.T) {
	q := ewtQ(0.1, 0)
	in := []ewtT{{dt: models.Int8, shape: []int{3}, q: q, vals: []float64{1, -5, 100}}, {dt: models.Int8, shape: []int{3}, q: q, vals: []float64{2, 5, 100}}}
	dt, _, got := ewtRun(t, ops.OpAdd, 2, build.Options{}, in, ewtT{dt: models.Float32, shape: []int{3}, q: q})
	if dt != models.Int8 {
		t.Fatalf("output type %s, want int8", dt)
	}
	ewtCompare(t, "ADD", []int{3}, got, []float64{3, 0, 127}, 0)
}

func TestEwCompare(t *testing.T) {
	cmps := []struct {
		op ops.Op
		f  func(a, b float64) bool
	}{
		{ops.OpEqual, func(a, b float64) bool { return a == b }},
		{ops.OpNotEqual, func(a, b float64) bool { return a != b }},
		{ops.OpLess, func(a, b float64) bool { return a < b }},
		{ops.OpLessEqual, func(a, b float64) bool { return a <= b }},
		{ops.OpGreater, func(a, b float64) bool { return a > b }},
		{ops.OpGreaterEqual, func(a, b float64) bool { return a >= b }},
	}
	types := []struct {
		dt     models.DType
		q1, q2 *models.Quant
	}{
		{models.Float32, nil, nil},
		{models.Int32, nil, nil},
		{models.Int64, nil, nil},
		{models.Int16, nil, nil},
		{models.Int8, ewtQ(0.5, 1), ewtQ(0.25, -2)},
		{models.UInt8, ewtQ(0.5, 10), ewtQ(0.25, 30)},
		{models.Int16, ewtQ(0.5, 0), ewtQ(0.25, 0)},
		{models.Bool, nil, nil},
	}
	for _, c := range cmps {
		for _, ty := range types {
			if ty.dt == models.Bool && c.op != ops.OpEqual && c.op != ops.OpNotEqual {
				continue
			}
			if ty.dt == models.Int16 && ty.q1 != nil && c.op != ops.OpEqual && c.op != ops.OpNotEqual {
				continue // TFLite orders int16 by raw codes
			}
			for _, sp := range ewtShapePairs[:8] {
				var a, b []float64
				switch ty.dt {
				case models.Bool:
					a = ewtPattern(ewtNumel(sp[0]), 1, 0, 1, true)
					b = ewtPattern(ewtNumel(sp[1]), 2, 0, 1, true)
				case models.UInt8:
					a = ewtPattern(ewtNumel(sp[0]), 1, 10, 14, true)
					b = ewtPattern(ewtNumel(sp[1]), 2, 30, 38, true)
				default:
					a = ewtPattern(ewtNumel(sp[0]), 1, -3, 3, true)
					b = ewtPattern(ewtNumel(sp[1]), 2, -4, 4, true)
				}
				ra, rb := a, b
				if ty.q1 != nil {
					ra, rb = ewtDequantize(ty.q1, a), ewtDequantize(ty.q2, b)
				}
				shape, idx := ewtBroadcast(sp[0], sp[1])
				want := make([]float64, len(idx))
				for e, ix := range idx {
					if c.f(ra[ix[0]], rb[ix[1]]) {
						want[e] = 1
					}
				}
				ins := []ewtT{{dt: ty.dt, shape: sp[0], q: ty.q1, vals: a}, {dt: ty.dt, shape: sp[1], q: ty.q2, vals: b}}
				dt, gotShape, got := ewtRun(t, c.op, 2, build.Options{}, ins, ewtT{dt: models.Bool, shape: shape})
				if dt != models.Bool || !slices.Equal(gotShape, shape) {
					t.Fatalf("%s: output %s %v", c.op, dt, gotShape)
				}
				ewtCompare(t, fmt.Sprintf("%s/%s/%v/%v%v", c.op, ty.dt, ty.q1 != nil, sp[0], sp[1]), shape, got, want, 0)
			}
		}
	}
	err := ewtErr(t, ops.OpLess, 1, build.Options{}, []ewtT{{dt: models.Bool, shape: []int{1}, vals: []float64{1}}, {dt: models.Bool, shape: []int{1}, vals: []float64{0}}}, ewtT{dt: models.Bool, shape: []int{1}})
	ewtWantErr(t, err, ops.OpLess, "bool is not supported")
}

func TestEwSelectV2(t *testing.T) {
	shapes := [][3][]int{
		{{2, 4, 3}, {2, 4, 3}, {2, 4, 3}},
		{{2, 1, 3}, {1, 4, 3}, {2, 4, 1}},
		{{}, {2, 3}, {2, 3}},
		{{3}, {2, 3}, {}},
		{{2, 1, 2, 1, 2, 1}, {1, 2, 1, 2, 1, 2}, {2, 2, 2, 2, 2, 2}},
	}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.Int16, models.Int32, models.Int64, models.Bool} {
		for _, sh := range shapes {
			cond := ewtPattern(ewtNumel(sh[0]), 3, 0, 1, true)
			x := ewtPattern(ewtNumel(sh[1]), 4, 0, 1, true)
			y := ewtPattern(ewtNumel(sh[2]), 5, 0, 1, true)
			if dt != models.Bool {
				x = ewtPattern(ewtNumel(sh[1]), 4, -100, 100, true)
				y = ewtPattern(ewtNumel(sh[2]), 5, -100, 100, true)
			}
			shape, idx := ewtBroadcast(sh[0], sh[1], sh[2])
			want := make([]float64, len(idx))
			for e, ix := range idx {
				if cond[ix[0]] != 0 {
					want[e] = x[ix[1]]
				} else {
					want[e] = y[ix[2]]
				}
			}
			ins := []ewtT{{dt: models.Bool, shape: sh[0], vals: cond}, {dt: dt, shape: sh[1], vals: x}, {dt: dt, shape: sh[2], vals: y}}
			_, gotShape, got := ewtRun(t, ops.OpSelectV2, 1, build.Options{}, ins, ewtT{dt: dt, shape: shape})
			if !slices.Equal(gotShape, shape) {
				t.Fatalf("SELECT_V2 %v: output shape %v, want %v", sh, gotShape, shape)
			}
			ewtCompare(t, fmt.Sprintf("SELECT_V2/%s/%v", dt, sh), shape, got, want, 0)
		}
	}
	// A condition byte other than 0/1 in a constant counts as true.
	ins := []ewtT{{dt: models.Bool, shape: []int{2}, vals: []float64{2, 0}, konst: true}, {dt: models.Int32, shape: []int{2}, vals: []float64{1, 2}}, {dt: models.Int32, shape: []int{2}, vals: []float64{3, 4}}}
	_, _, got := ewtRun(t, ops.OpSelectV2, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2}})
	ewtCompare(t, "SELECT_V2 byte 2", []int{2}, got, []float64{1, 4}, 0)

	ins[0].dt = models.Int8
	err := ewtErr(t, ops.OpSelectV2, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2}})
	ewtWantErr(t, err, ops.OpSelectV2, "condition must be bool")
}
