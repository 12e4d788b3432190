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

type ewtUnaryOp struct {
	op  ops.Op
	ver int
	f   func(float64) float64
	lo  float64 // domain of the float test inputs
	hi  float64
}

var ewtUnaryOps = []ewtUnaryOp{
	{ops.OpAbs, 1, math.Abs, -5, 5},
	{ops.OpExp, 1, math.Exp, -5, 3},
	{ops.OpLog, 1, math.Log, 0.01, 20},
	{ops.OpSqrt, 1, math.Sqrt, 0, 20},
	// TFLite divides by the float32 square root.
	{ops.OpRsqrt, 1, func(x float64) float64 { return float64(1 / float32(math.Sqrt(x))) }, 0.01, 20},
	{ops.OpSquare, 1, func(x float64) float64 { return x * x }, -5, 5},
	{ops.OpNeg, 1, func(x float64) float64 { return -x }, -5, 5},
}

func TestEwUnaryFloat(t *testing.T) {
	for _, u := range ewtUnaryOps {
		for _, shape := range [][]int{{2, 3, 5}, {1}, {}, {0, 4}} {
			x := ewtPattern(ewtNumel(shape), 7, u.lo, u.hi, false)
			want := make([]float64, len(x))
			for i := range x {
				x[i] = float64(float32(x[i]))
				want[i] = float64(float32(u.f(x[i])))
			}
			ins := []ewtT{{dt: models.Float32, shape: shape, vals: x}}
			_, gotShape, got := ewtRun(t, u.op, u.ver, build.Options{}, ins, ewtT{dt: models.Float32, shape: shape})
			if !slices.Equal(gotShape, shape) {
				t.Fatalf("%s: shape %v, want %v", u.op, gotShape, shape)
			}
			ewtCompare(t, fmt.Sprintf("%s %v", u.op, shape), shape, got, want, 0)
		}
	}
}

func TestEwUnaryInt(t *testing.T) {
	cases := []struct {
		op ops.Op
		dt models.DType
	}{
		{ops.OpNeg, models.Int8}, {ops.OpNeg, models.Int16}, {ops.OpNeg, models.Int32}, {ops.OpNeg, models.Int64},
		{ops.OpAbs, models.Int32}, {ops.OpAbs, models.Int16},
	}
	for _, c := range cases {
		lo, hi := ops.TypeRange(c.dt)
		x := append(ewtPattern(20, 3, float64(lo)+1, float64(hi), true), float64(lo), 0, -1)
		if c.dt == models.Int64 {
			x = append(x, -1<<62)
		}
		want := make([]float64, len(x))
		for i, v := range x {
			r := -v
			if c.op == ops.OpAbs {
				r = math.Abs(v)
			}
			if r > float64(hi) && c.dt != models.Int64 {
				r = float64(lo) // -MIN wraps to MIN, as in TFLite
			}
			want[i] = r
		}
		ins := []ewtT{{dt: c.dt, shape: []int{len(x)}, vals: x}}
		_, _, got := ewtRun(t, c.op, 1, build.Options{}, ins, ewtT{dt: c.dt, shape: []int{len(x)}})
		ewtCompare(t, fmt.Sprintf("%s %s", c.op, c.dt), []int{len(x)}, got, want, 0)
	}
}

// TestEwUnaryQuant checks the quantized forms against dequantize, compute
// in float64, requantize. int16 EXP/LOG/RSQRT interpolate linearly in
// TFLite's 513-entry table, so they get a tolerance that covers the
// curvature between table points.
func TestEwUnaryQuant(t *testing.T) {
	type qcase struct {
		op     ops.Op
		dt     models.DType
		qi, qo *models.Quant
		tol    float64
		from   float64 // lowest input code, when not the type's minimum
	}
	cases := []qcase{
		{ops.OpAbs, models.Int8, ewtQ(0.05, -10), ewtQ(0.05, -128), 0, 0},
		{ops.OpAbs, models.Int8, ewtQ(0.05, 20), ewtQ(0.03, -100), 1, 0},
		{ops.OpAbs, models.Int16, ewtQ(0.001, 0), ewtQ(0.0007, 0), 1, 0},
		{ops.OpExp, models.Int8, ewtQ(0.03, 5), ewtQ(0.1, -128), 1, 0},
		{ops.OpExp, models.Int16, ewtQ(1.0/8192, 0), ewtQ(1.0/2048, 0), 8, 0},
		{ops.OpLog, models.Int8, ewtQ(0.1, -128), ewtQ(0.05, 20), 1, 0},
		// Near zero LOG's curvature defeats the table's interpolation.
		{ops.OpLog, models.Int16, ewtQ(1.0/1024, 0), ewtQ(1.0/4096, 0), 3, 1024},
		{ops.OpSqrt, models.Int8, ewtQ(0.1, -128), ewtQ(0.05, -128), 1, 0},
		{ops.OpSqrt, models.Int16, ewtQ(0.01, 0), ewtQ(0.01, 0), 1, 0},
		{ops.OpRsqrt, models.Int8, ewtQ(0.1, -128), ewtQ(0.02, -128), 1, 0},
		// Likewise RSQRT in the first table segments.
		{ops.OpRsqrt, models.Int16, ewtQ(0.01, 0), ewtQ(0.001, 0), 2, 1024},
	}
	for _, c := range cases {
		lo, hi := ops.TypeRange(c.dt)
		zp := float64(c.qi.ZeroPoint[0])
		from := float64(lo)
		if c.op == ops.OpSqrt || c.op == ops.OpRsqrt || c.op == ops.OpLog {
			from = zp // non-negative inputs
			if c.op != ops.OpSqrt {
				from++
			}
		}
		if c.from != 0 {
			from = c.from
		}
		x := ewtPattern(40, 2, from, float64(hi), true)
		var f func(float64) float64
		for _, u := range ewtUnaryOps {
			if u.op == c.op {
				f = u.f
			}
		}
		real := ewtDequantize(c.qi, x)
		for i := range real {
			real[i] = f(real[i])
		}
		want := ewtQuantize(c.dt, c.qo, real)
		ins := []ewtT{{dt: c.dt, shape: []int{len(x)}, q: c.qi, vals: x}}
		_, _, got := ewtRun(t, c.op, 2, build.Options{}, ins, ewtT{dt: c.dt, shape: []int{len(x)}, q: c.qo})
		ewtCompare(t, fmt.Sprintf("%s %s", c.op, c.dt), []int{len(x)}, got, want, c.tol)
	}

	// LOG of non-positive values gives the lowest output code.
	q := ewtQ(0.1, 0)
	ins := []ewtT{{dt: models.Int8, shape: []int{3}, q: q, vals: []float64{0, -5, -128}}}
	_, _, got := ewtRun(t, ops.OpLog, 2, build.Options{}, ins, ewtT{dt: models.Int8, shape: []int{3}, q: q})
	ewtCompare(t, "LOG(<=0)", []int{3}, got, []float64{-128, -128, -128}, 0)
	// RSQRT at the zero point saturates high.
	_, _, got = ewtRun(t, ops.OpRsqrt, 2, build.Options{}, []ewtT{{dt: models.Int8, shape: []int{1}, q: q, vals: []float64{0}}}, ewtT{dt: models.Int8, shape: []int{1}, q: q})
	ewtCompare(t, "RSQRT(0)", []int{1}, got, []float64{127}, 0)
}

func TestEwUnaryErrors(t *testing.T) {
	q := ewtQ(0.1, 0)
	i8 := func(v ...float64) []ewtT { return []ewtT{{dt: models.Int8, shape: []int{len(v)}, q: q, vals: v}} }
	out := ewtT{dt: models.Int8, shape: []int{2}, q: q}
	ewtWantErr(t, ewtErr(t, ops.OpSqrt, 2, build.Options{}, i8(3, -1), out), ops.OpSqrt, "non-negative", "element 1")
	ewtWantErr(t, ewtErr(t, ops.OpRsqrt, 2, build.Options{}, i8(-1, 3), out), ops.OpRsqrt, "positive", "element 0")
	ewtWantErr(t, ewtErr(t, ops.OpSquare, 1, build.Options{}, i8(1, 2), out), ops.OpSquare, "int8 is not supported")
	ewtWantErr(t, ewtErr(t, ops.OpExp, 1, build.Options{}, []ewtT{{dt: models.Int8, shape: []int{2}, vals: []float64{1, 2}}}, out), ops.OpExp, "no quantization parameters")
	ewtWantErr(t, ewtErr(t, ops.OpLog, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}}, out), ops.OpLog, "output type int8 differs")
	i16 := []ewtT{{dt: models.Int16, shape: []int{1}, q: ewtQ(0.1, 3), vals: []float64{1}}}
	ewtWantErr(t, ewtErr(t, ops.OpExp, 2, build.Options{}, i16, ewtT{dt: models.Int16, shape: []int{1}, q: ewtQ(0.1, 0)}), ops.OpExp, "zero point 0")
}
