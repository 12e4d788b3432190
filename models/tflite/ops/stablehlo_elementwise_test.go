package ops_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestStablehloElementwise(t *testing.T) {
	x := []float64{1, 6, 3, 0}
	y := []float64{4, 2, 3, 5}
	want := map[ops.Op][]float64{
		ops.OpStablehloAdd:      {5, 8, 6, 5},
		ops.OpStablehloMultiply: {4, 12, 9, 0},
		ops.OpStablehloMaximum:  {4, 6, 3, 5},
		ops.OpStablehloMinimum:  {1, 2, 3, 0},
	}
	for op, w := range want {
		for _, dt := range []models.DType{models.Float32, models.Float64, models.Int8, models.Int16, models.Int32, models.Int64, models.UInt8, models.UInt16, models.UInt32, models.UInt64} {
			ins := []ewtT{{dt: dt, shape: []int{2, 2}, vals: x}, {dt: dt, shape: []int{2, 2}, vals: y}}
			_, shape, got := ewtRun(t, op, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{2, 2}})
			ewtCompare(t, fmt.Sprintf("%s %s", op, dt), shape, got, w, 0)
		}
	}
	// AND on integers (6 & 3 = 2) and bools; bool ADD is OR.
	for _, dt := range []models.DType{models.Int8, models.UInt16, models.Int32, models.UInt64} {
		ins := []ewtT{{dt: dt, shape: []int{2}, vals: []float64{6, 12}}, {dt: dt, shape: []int{2}, vals: []float64{3, 10}}}
		_, shape, got := ewtRun(t, ops.OpStablehloAnd, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{2}})
		ewtCompare(t, "AND "+dt.String(), shape, got, []float64{2, 8}, 0)
	}
	bx, by := []float64{1, 1, 0, 0}, []float64{1, 0, 1, 0}
	for op, w := range map[ops.Op][]float64{ops.OpStablehloAnd: {1, 0, 0, 0}, ops.OpStablehloAdd: {1, 1, 1, 0}, ops.OpStablehloMultiply: {1, 0, 0, 0}, ops.OpStablehloMaximum: {1, 1, 1, 0}, ops.OpStablehloMinimum: {1, 0, 0, 0}} {
		ins := []ewtT{{dt: models.Bool, shape: []int{4}, vals: bx}, {dt: models.Bool, shape: []int{4}, vals: by}}
		_, shape, got := ewtRun(t, op, 1, build.Options{}, ins, ewtT{dt: models.Bool, shape: []int{4}})
		ewtCompare(t, op.String()+" bool", shape, got, w, 0)
	}
	// NaN: std::max(NaN, 1) is NaN, std::max(1, NaN) is 1.
	nan := math.NaN()
	ins := []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{nan, 1}}, {dt: models.Float32, shape: []int{2}, vals: []float64{1, nan}}}
	_, shape, got := ewtRun(t, ops.OpStablehloMaximum, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2}})
	ewtCompare(t, "MAXIMUM NaN", shape, got, []float64{nan, 1}, 0)
	// int8 wraps: 100 + 100 = -56.
	ins = []ewtT{{dt: models.Int8, shape: []int{1}, vals: []float64{100}}, {dt: models.Int8, shape: []int{1}, vals: []float64{100}}}
	_, shape, got = ewtRun(t, ops.OpStablehloAdd, 1, build.Options{}, ins, ewtT{dt: models.Int8, shape: []int{1}})
	ewtCompare(t, "ADD wrap", shape, got, []float64{-56}, 0)
	noAllocsEwt(t, ops.OpStablehloAdd, 1, build.Options{}, ins, ewtT{dt: models.Int8, shape: []int{1}})

	// SHIFT_LEFT: 3 << 2 = 12, 1 << 7 = -128 in int8, shifts of 40 or -1
	// give 0.
	for _, dt := range []models.DType{models.Int8, models.Int16, models.Int32} {
		ins := []ewtT{{dt: dt, shape: []int{4}, vals: []float64{3, 1, 5, 5}}, {dt: dt, shape: []int{4}, vals: []float64{2, 7, 40, -1}}}
		want := []float64{12, 128, 0, 0}
		if dt == models.Int8 {
			want[1] = -128
		}
		_, shape, got := ewtRun(t, ops.OpStablehloShiftLeft, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{4}})
		ewtCompare(t, "SHIFT_LEFT "+dt.String(), shape, got, want, 0)
	}

	f := ewtT{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}
	ewtWantErr(t, ewtErr(t, ops.OpStablehloAnd, 1, build.Options{}, []ewtT{f, f}, f), ops.OpStablehloAnd, "node 0", "float32 is not supported")
	ewtWantErr(t, ewtErr(t, ops.OpStablehloShiftLeft, 1, build.Options{}, []ewtT{f, f}, f), ops.OpStablehloShiftLeft, "float32 is not supported")
	g := ewtT{dt: models.Float32, shape: []int{1}, vals: []float64{1}}
	ewtWantErr(t, ewtErr(t, ops.OpStablehloAdd, 1, build.Options{}, []ewtT{f, g}, f), ops.OpStablehloAdd, "shapes [2] and [1] differ")
}
