package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestActivationOps runs every activation operator once on float values
// with hand-computed results, and the quantized forms on a few codes.
func TestActivationOps(t *testing.T) {
	f := func(shape []int, v ...float64) ewtT { return ewtT{dt: models.Float32, shape: shape, vals: v} }
	ln3 := math.Log(3)
	at := math.Atanh(0.5)
	for _, c := range []struct {
		op   ops.Op
		opt  build.Options
		ins  []ewtT
		want []float64
	}{
		{ops.OpRelu, build.Options{}, []ewtT{f([]int{6}, -2, -0.5, 0, 0.5, 3, 7)}, []float64{0, 0, 0, 0.5, 3, 7}},
		{ops.OpRelu6, build.Options{}, []ewtT{f([]int{6}, -2, -0.5, 0, 0.5, 3, 7)}, []float64{0, 0, 0, 0.5, 3, 6}},
		{ops.OpReluN1To1, build.Options{}, []ewtT{f([]int{6}, -2, -0.5, 0, 0.5, 3, 7)}, []float64{-1, -0.5, 0, 0.5, 1, 1}},
		// 1/(1+e^-x): ln 3 -> 3/4.
		{ops.OpLogistic, build.Options{}, []ewtT{f([]int{3}, 0, ln3, -ln3)}, []float64{0.5, 0.75, 0.25}},
		{ops.OpTanh, build.Options{}, []ewtT{f([]int{3}, 0, at, -at)}, []float64{0, 0.5, -0.5}},
		{ops.OpLeakyRelu, ewtOpt(build.OptLeakyRelu, float32(0.2)), []ewtT{f([]int{2}, -2, 3)}, []float64{-0.4, 3}},
		// Alpha per channel (last dimension): 0.5 and 0.25.
		{ops.OpPrelu, build.Options{}, []ewtT{f([]int{1, 2, 2}, -4, 2, 0, -1), {dt: models.Float32, shape: []int{2}, vals: []float64{0.5, 0.25}, konst: true}}, []float64{-2, 2, 0, -0.25}},
		// x * relu6(x+3) / 6.
		{ops.OpHardSwish, build.Options{}, []ewtT{f([]int{5}, -4, -1, 0, 1, 4)}, []float64{0, -1.0 / 3, 0, 2.0 / 3, 4}},
		// e^0 : e^ln3 = 1 : 3.
		{ops.OpSoftmax, ewtOpt(build.OptSoftmax, float32(1)), []ewtT{f([]int{1, 2}, 0, ln3)}, []float64{0.25, 0.75}},
		{ops.OpLogSoftmax, build.Options{}, []ewtT{f([]int{1, 2}, 0, ln3)}, []float64{math.Log(0.25), math.Log(0.75)}},
		{ops.OpL2Normalization, build.Options{}, []ewtT{f([]int{1, 2}, 3, 4)}, []float64{0.6, 0.8}},
		{ops.OpSquare, build.Options{}, []ewtT{f([]int{2}, -3, 0.5)}, []float64{9, 0.25}},
	} {
		_, shape, got := ewtRun(t, c.op, 1, c.opt, c.ins, ewtT{dt: models.Float32, shape: c.ins[0].shape})
		ewtCompare(t, c.op.String()+"/float32", shape, got, c.want, 1e-6)
	}

	// Quantized: real values -2, 1, 7 at scale 0.1.
	q8, qu8 := ewtQ(0.1, 0), ewtQ(0.1, 128)
	for _, c := range []struct {
		op     ops.Op
		dt     models.DType
		q, qo  *models.Quant
		in     []float64
		want   []float64
		within float64
	}{
		{ops.OpRelu6, models.Int8, q8, q8, []float64{-20, 10, 70}, []float64{0, 10, 60}, 0},
		{ops.OpRelu6, models.UInt8, qu8, qu8, []float64{108, 138, 198}, []float64{128, 138, 188}, 0},
		{ops.OpRelu, models.Int16, q8, q8, []float64{-20, 10, 70}, []float64{0, 10, 70}, 0},
		// hard_swish(-4, 1, 4) = 0, 2/3, 4 at scale 0.05: codes 0, 13.3, 80.
		{ops.OpHardSwish, models.Int8, ewtQ(0.05, 0), ewtQ(0.05, 0), []float64{-80, 20, 80}, []float64{0, 13, 80}, 1},
		// logistic(0, 1.1, -1.1) = 0.5, 0.75, 0.25 at the fixed output scale
		// 1/256, zero point -128: codes 0, 64, -64.
		{ops.OpLogistic, models.Int8, q8, ewtQ(1.0/256, -128), []float64{0, 11, -11}, []float64{0, 64, -64}, 1},
	} {
		ins := []ewtT{{dt: c.dt, shape: []int{len(c.in)}, q: c.q, vals: c.in}}
		_, shape, got := ewtRun(t, c.op, 1, build.Options{}, ins, ewtT{dt: c.dt, shape: []int{len(c.in)}, q: c.qo})
		ewtCompare(t, c.op.String()+"/"+c.dt.String(), shape, got, c.want, c.within)
	}
}
