package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestRelu0To1(t *testing.T) {
	run := func(dt models.DType, qi, qo *models.Quant, x, want []float64) {
		t.Helper()
		ins := []ewtT{{dt: dt, shape: []int{len(x)}, q: qi, vals: x}}
		_, shape, got := ewtRun(t, ops.OpRelu0To1, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{len(x)}, q: qo})
		ewtCompare(t, "RELU_0_TO_1 "+dt.String(), shape, got, want, 0)
	}
	run(models.Float32, nil, nil, []float64{-1, 0.5, 2, 0, 1}, []float64{0, 0.5, 1, 0, 1})
	// int8: input scale 0.1, output scale 0.01 zero point -100: code(0) =
	// -100, code(1) = 0; input code 3 (0.3) is -100 + 30.
	run(models.Int8, ewtQ(0.1, 0), ewtQ(0.01, -100), []float64{-20, 3, 50}, []float64{-100, -70, 0})
	// uint8: input (0.02, 128), output (1/255, 0): code 140 is 0.24, 61.2
	// output steps.
	run(models.UInt8, ewtQ(0.02, 128), ewtQ(1.0/255, 0), []float64{100, 140, 178, 255}, []float64{0, 61, 255, 255})

	err := ewtErr(t, ops.OpRelu0To1, 1, build.Options{}, []ewtT{{dt: models.Int16, shape: []int{1}, q: ewtQ(1, 0), vals: []float64{1}}}, ewtT{dt: models.Int16, shape: []int{1}, q: ewtQ(1, 0)})
	ewtWantErr(t, err, ops.OpRelu0To1, "node 0", "input type int16 is not supported")
}

// refLUT is the table a quantized activation must use, computed in
// float64 (ties may differ by one code from TFLite's float32 table).
func refLUT(f func(float64) float64, dt models.DType, qi, qo *models.Quant) ([]float64, []float64) {
	lo, hi := ops.TypeRange(dt)
	var x, y []float64
	for v := lo; v <= hi; v++ {
		r := f(float64(qi.Scale[0]) * float64(v-int32(qi.ZeroPoint[0])))
		c := math.Round(r/float64(qo.Scale[0])) + float64(qo.ZeroPoint[0])
		x, y = append(x, float64(v)), append(y, math.Min(math.Max(c, float64(lo)), float64(hi)))
	}
	return x, y
}

func TestEluGeluQuantized(t *testing.T) {
	elu := func(x float64) float64 {
		if x < 0 {
			return math.Expm1(x)
		}
		return x
	}
	gelu := func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }
	geluA := func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
	geluOpt := func(approx bool) build.Options { return ewtOpt(build.OptGelu, approx) }
	run := func(op ops.Op, v int, opt build.Options, dt models.DType, qi, qo *models.Quant, x, want []float64, tol float64) {
		t.Helper()
		ins := []ewtT{{dt: dt, shape: []int{len(x)}, q: qi, vals: x}}
		_, shape, got := ewtRun(t, op, v, opt, ins, ewtT{dt: dt, shape: []int{len(x)}, q: qo})
		ewtCompare(t, op.String()+" "+dt.String(), shape, got, want, tol)
	}
	// Hand-computed ELU, input scale 0.1, output 0.05: -1.0 -> expm1(-1) =
	// -0.632 = -12.64 steps -> -13; 1.0 -> 20; -12.8 -> -0.999997 -> -20.
	run(ops.OpElu, 1, build.Options{}, models.Int8, ewtQ(0.1, 0), ewtQ(0.05, 0), []float64{-10, 10, -128, 0}, []float64{-13, 20, -20, 0}, 0)
	// Hand-computed GELU, input scale 0.05: gelu(1) = 0.8413 = 42.07 steps
	// of 0.02, gelu(-1) = -0.1587 = -7.93, gelu(2) = 1.9545 = 97.7.
	run(ops.OpGelu, 2, geluOpt(false), models.Int8, ewtQ(0.05, 0), ewtQ(0.02, 0), []float64{20, -20, 40}, []float64{42, -8, 98}, 0)
	// At -3 the exact form (-0.0040495) and the tanh form (-0.0036375)
	// differ by four steps of 0.0001.
	run(ops.OpGelu, 2, geluOpt(false), models.Int8, ewtQ(0.05, 0), ewtQ(0.0001, 0), []float64{-60}, []float64{-40}, 0)
	run(ops.OpGelu, 2, geluOpt(true), models.Int8, ewtQ(0.05, 0), ewtQ(0.0001, 0), []float64{-60}, []float64{-36}, 0)
	// uint8 with zero points 128 and 10: x = 1 -> 42 + 10, x = -1 -> -8 + 10.
	run(ops.OpGelu, 2, geluOpt(false), models.UInt8, ewtQ(0.05, 128), ewtQ(0.02, 10), []float64{148, 108}, []float64{52, 2}, 0)

	// Every code against the float64 tables.
	for _, c := range []struct {
		op     ops.Op
		opt    build.Options
		f      func(float64) float64
		dt     models.DType
		qi, qo *models.Quant
	}{
		{ops.OpElu, build.Options{}, elu, models.Int8, ewtQ(0.047, 5), ewtQ(0.03, -60)},
		{ops.OpGelu, geluOpt(false), gelu, models.Int8, ewtQ(0.04, -3), ewtQ(0.021, -100)},
		{ops.OpGelu, geluOpt(true), geluA, models.Int8, ewtQ(0.04, -3), ewtQ(0.021, -100)},
		{ops.OpGelu, geluOpt(false), gelu, models.UInt8, ewtQ(0.03, 120), ewtQ(0.02, 12)},
		{ops.OpGelu, geluOpt(true), geluA, models.UInt8, ewtQ(0.03, 120), ewtQ(0.02, 12)},
	} {
		x, want := refLUT(c.f, c.dt, c.qi, c.qo)
		run(c.op, 2-btoi(c.op == ops.OpElu), c.opt, c.dt, c.qi, c.qo, x, want, 1)
	}
	// Float GELU and ELU still run the float kernels.
	run(ops.OpGelu, 2, geluOpt(false), models.Float32, nil, nil, []float64{1, -1}, []float64{gelu(1), gelu(-1)}, 1e-6)
	run(ops.OpElu, 1, build.Options{}, models.Float32, nil, nil, []float64{-1, 2}, []float64{math.Expm1(-1), 2}, 1e-6)

	noAllocsEwt(t, ops.OpGelu, 2, geluOpt(true), []ewtT{{dt: models.Int8, shape: []int{64}, q: ewtQ(0.05, 0), vals: ewtPattern(64, 3, -128, 127, true)}}, ewtT{dt: models.Int8, shape: []int{64}, q: ewtQ(0.05, 0)})

	u8 := []ewtT{{dt: models.UInt8, shape: []int{1}, q: ewtQ(1, 0), vals: []float64{1}}}
	err := ewtErr(t, ops.OpElu, 1, build.Options{}, u8, ewtT{dt: models.UInt8, shape: []int{1}, q: ewtQ(1, 0)})
	ewtWantErr(t, err, ops.OpElu, "node 0", "input type uint8 is not supported")
	i32 := []ewtT{{dt: models.Int32, shape: []int{1}, q: ewtQ(1, 0), vals: []float64{1}}}
	err = ewtErr(t, ops.OpGelu, 2, build.Options{}, i32, ewtT{dt: models.Int32, shape: []int{1}, q: ewtQ(1, 0)})
	ewtWantErr(t, err, ops.OpGelu, "input type int32 is not supported")
	err = ewtErr(t, ops.OpGelu, 2, build.Options{}, []ewtT{{dt: models.Int8, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Int8, shape: []int{1}})
	ewtWantErr(t, err, ops.OpGelu, "quantization")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
