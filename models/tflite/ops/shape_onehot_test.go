package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestOneHot(t *testing.T) {
	for _, it := range []models.DType{models.Int32, models.Int64} {
		for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32, models.Int64, models.Bool} {
			on, off := 5.0, 2.0
			if dt == models.Bool {
				on, off = 1, 0
			}
			for _, konst := range []bool{true, false} {
				ins := []ewtT{
					{dt: it, shape: []int{2}, vals: []float64{1, 3}}, // 3 is out of [0, 3): all off
					{dt: models.Int32, shape: []int{}, vals: []float64{3}, konst: konst},
					{dt: dt, shape: []int{}, vals: []float64{on}},
					{dt: dt, shape: []int{}, vals: []float64{off}},
				}
				// Default axis: one row per index.
				_, got := ewtRunShape(t, ops.OpOneHot, 1, ins, ewtT{dt: dt, shape: []int{2, 3}})
				ewtCompare(t, "ONE_HOT/"+dt.String(), []int{2, 3}, got, []float64{off, on, off, off, off, off}, 0)
				// Axis 0: one column per index.
				_, shape, got := ewtRun(t, ops.OpOneHot, 1, ewtOpt(build.OptOneHot, int32(0)), ins, ewtT{dt: dt, shape: []int{3, 2}})
				ewtCompare(t, "ONE_HOT axis 0/"+dt.String(), shape, got, []float64{off, off, on, off, off, off}, 0)
			}
		}
	}
	ins := []ewtT{
		{dt: models.Int32, shape: []int{2}, vals: []float64{1, 3}},
		{dt: models.Int32, shape: []int{}, vals: []float64{-1}},
		{dt: models.Float32, shape: []int{}, vals: []float64{1}},
		{dt: models.Float32, shape: []int{}, vals: []float64{0}},
	}
	err := ewtErr(t, ops.OpOneHot, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpOneHot, "depth is -1")
	ins[1].vals = []float64{3}
	err = ewtErr(t, ops.OpOneHot, 1, ewtOpt(build.OptOneHot, int32(2)), ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpOneHot, "axis 2 is out of range")
	ins[3].dt = models.Int32
	err = ewtErr(t, ops.OpOneHot, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpOneHot, "on_value and off_value")
}
