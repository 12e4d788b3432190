package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestSelect(t *testing.T) {
	for _, dt := range []models.DType{models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64, models.Bool} {
		x := ewtT{dt: dt, shape: []int{2, 2}, vals: []float64{1, 1, 1, 1}}
		y := ewtT{dt: dt, shape: []int{2, 2}, vals: []float64{0, 0, 0, 0}}
		if dt != models.Bool {
			x.vals, y.vals = []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}
		}
		// Elementwise: true, false, false, true.
		cond := ewtT{dt: models.Bool, shape: []int{2, 2}, vals: []float64{1, 0, 0, 1}}
		_, got := ewtRunShape(t, ops.OpSelect, 4, []ewtT{cond, x, y}, ewtT{dt: dt, shape: []int{2, 2}})
		want := []float64{x.vals[0], y.vals[1], y.vals[2], x.vals[3]}
		ewtCompare(t, "SELECT/"+dt.String(), []int{2, 2}, got, want, 0)
		// One value per row: row 0 from y, row 1 from x.
		cond = ewtT{dt: models.Bool, shape: []int{2}, vals: []float64{0, 1}}
		_, got = ewtRunShape(t, ops.OpSelect, 1, []ewtT{cond, x, y}, ewtT{dt: dt, shape: []int{2, 2}})
		want = []float64{y.vals[0], y.vals[1], x.vals[2], x.vals[3]}
		ewtCompare(t, "SELECT rows/"+dt.String(), []int{2, 2}, got, want, 0)
	}
	f := func(shape ...int) ewtT {
		return ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	b := func(shape ...int) ewtT {
		return ewtT{dt: models.Bool, shape: shape, vals: make([]float64, ewtNumel(shape))}
	}
	out := ewtT{dt: models.Float32, shape: []int{2, 3}}
	err := ewtErr(t, ops.OpSelect, 1, build.Options{}, []ewtT{b(3), f(2, 3), f(2, 3)}, out)
	ewtWantErr(t, err, ops.OpSelect, "condition [3] must have the shape of x [2 3] or be a vector of its 2 rows")
	err = ewtErr(t, ops.OpSelect, 1, build.Options{}, []ewtT{b(2, 3), f(2, 3), f(1, 3)}, out)
	ewtWantErr(t, err, ops.OpSelect, "must have the same shape")
	err = ewtErr(t, ops.OpSelect, 1, build.Options{}, []ewtT{f(2, 3), f(2, 3), f(2, 3)}, out)
	ewtWantErr(t, err, ops.OpSelect, "condition must be bool")
}
