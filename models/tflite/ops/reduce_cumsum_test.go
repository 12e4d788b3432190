package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestCumsum(t *testing.T) {
	// [[1,2,3],[4,5,6]] along each axis, in each mode.
	x := []float64{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		axis               int
		exclusive, reverse bool
		want               []float64
	}{
		{1, false, false, []float64{1, 3, 6, 4, 9, 15}},
		{1, true, false, []float64{0, 1, 3, 0, 4, 9}},
		{1, false, true, []float64{6, 5, 3, 15, 11, 6}},
		{1, true, true, []float64{5, 3, 0, 11, 6, 0}},
		{0, false, false, []float64{1, 2, 3, 5, 7, 9}},
		{-2, true, false, []float64{0, 0, 0, 1, 2, 3}},
	} {
		for _, dt := range []models.DType{models.Float32, models.Int32, models.Int64} {
			ins := []ewtT{{dt: dt, shape: []int{2, 3}, vals: x}, {dt: models.Int32, shape: []int{}, vals: []float64{float64(c.axis)}, konst: true}}
			opt := ewtOpt(build.OptCumsum, c.exclusive, c.reverse)
			_, shape, got := ewtRun(t, ops.OpCumsum, 1, opt, ins, ewtT{dt: dt, shape: []int{2, 3}})
			ewtCompare(t, fmt.Sprintf("CUMSUM/%s axis %d exclusive %v reverse %v", dt, c.axis, c.exclusive, c.reverse), shape, got, c.want, 0)
		}
	}
	ins := []ewtT{{dt: models.Float32, shape: []int{2, 3}, vals: x}, {dt: models.Int32, shape: []int{}, vals: []float64{2}, konst: true}}
	err := ewtErr(t, ops.OpCumsum, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpCumsum, "axis 2 is out of range for rank 2")
	ins[1].konst = false
	err = ewtErr(t, ops.OpCumsum, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpCumsum, "axis 2 is out of range for rank 2")
	ins[0].dt = models.Int8
	err = ewtErr(t, ops.OpCumsum, 1, build.Options{}, ins, ewtT{dt: models.Int8, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpCumsum, "input type int8 is not supported")
}
