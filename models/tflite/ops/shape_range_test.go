package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestRange(t *testing.T) {
	for _, c := range []struct {
		dt                  models.DType
		start, limit, delta float64
		want                []float64
	}{
		{models.Int32, 0, 5, 2, []float64{0, 2, 4}},
		{models.Int64, 10, 4, -3, []float64{10, 7}},
		{models.Int32, 3, 3, 1, []float64{}},
		{models.Float32, 0.5, 2, 0.5, []float64{0.5, 1, 1.5}},
	} {
		for _, konst := range []bool{true, false} {
			sc := func(v float64) ewtT { return ewtT{dt: c.dt, shape: []int{}, vals: []float64{v}, konst: konst} }
			ins := []ewtT{sc(c.start), sc(c.limit), sc(c.delta)}
			_, got := ewtRunShape(t, ops.OpRange, 1, ins, ewtT{dt: c.dt, shape: []int{len(c.want)}})
			ewtCompare(t, fmt.Sprintf("RANGE %s %v const %v", c.dt, c.want, konst), []int{len(c.want)}, got, c.want, 0)
		}
	}
	sc := func(v float64) ewtT { return ewtT{dt: models.Int32, shape: []int{}, vals: []float64{v}, konst: true} }
	err := ewtErr(t, ops.OpRange, 1, build.Options{}, []ewtT{sc(0), sc(5), sc(0)}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpRange, "delta must not be zero")
	err = ewtErr(t, ops.OpRange, 1, build.Options{}, []ewtT{sc(0), sc(5), sc(-1)}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpRange, "does not lead from start 0 to limit 5")
	err = ewtErr(t, ops.OpRange, 1, build.Options{}, []ewtT{sc(0), sc(2147483647), sc(1)}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpRange, "too large")
}

func TestDynamicUpdateSlice(t *testing.T) {
	// A 3x4 operand of zeros, a 2x2 update of ones at (1, 1), and at
	// (2, 3), which is clamped to (1, 2).
	zeros := make([]float64, 12)
	for _, dt := range []models.DType{models.Float32, models.Int8, models.Int16, models.Int32, models.Int64, models.Bool} {
		for _, it := range []models.DType{models.Int32, models.Int64} {
			for _, c := range []struct {
				start []float64
				want  []float64
			}{
				{[]float64{1, 1}, []float64{0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0}},
				{[]float64{2, 3}, []float64{0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1}},
				{[]float64{-5, 0}, []float64{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}},
			} {
				ins := []ewtT{
					{dt: dt, shape: []int{3, 4}, vals: zeros},
					{dt: dt, shape: []int{2, 2}, vals: []float64{1, 1, 1, 1}},
					{dt: it, shape: []int{2}, vals: c.start},
				}
				_, got := ewtRunShape(t, ops.OpDynamicUpdateSlice, 1, ins, ewtT{dt: dt, shape: []int{3, 4}})
				ewtCompare(t, fmt.Sprintf("DYNAMIC_UPDATE_SLICE/%s/%s at %v", dt, it, c.start), []int{3, 4}, got, c.want, 0)
			}
		}
	}
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	idx := ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{0, 0}}
	err := ewtErr(t, ops.OpDynamicUpdateSlice, 1, build.Options{}, []ewtT{f(2, 2), f(3, 1), idx}, ewtT{dt: models.Float32, shape: []int{2, 2}})
	ewtWantErr(t, err, ops.OpDynamicUpdateSlice, "larger than operand [2 2] in dimension 0")
	err = ewtErr(t, ops.OpDynamicUpdateSlice, 1, build.Options{}, []ewtT{f(2, 2), f(2), idx}, ewtT{dt: models.Float32, shape: []int{2, 2}})
	ewtWantErr(t, err, ops.OpDynamicUpdateSlice, "must have one rank")
}
