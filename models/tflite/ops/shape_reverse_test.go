package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestReverseV2(t *testing.T) {
	// [[[1,2],[3,4],[5,6]], [[7,8],[9,10],[11,12]]], shape [2,3,2].
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, c := range []struct {
		axes []float64
		want []float64
	}{
		{[]float64{0}, []float64{7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6}},
		{[]float64{1}, []float64{5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8}},
		{[]float64{-1}, []float64{2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11}},
		{[]float64{0, 2}, []float64{8, 7, 10, 9, 12, 11, 2, 1, 4, 3, 6, 5}},
		{[]float64{}, x},
	} {
		for _, dt := range []models.DType{models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64} {
			for _, konst := range []bool{true, false} {
				ins := []ewtT{{dt: dt, shape: []int{2, 3, 2}, vals: x}, {dt: models.Int32, shape: []int{len(c.axes)}, vals: c.axes, konst: konst}}
				_, got := ewtRunShape(t, ops.OpReverseV2, 3, ins, ewtT{dt: dt, shape: []int{2, 3, 2}})
				ewtCompare(t, fmt.Sprintf("REVERSE_V2/%s axes %v", dt, c.axes), []int{2, 3, 2}, got, c.want, 0)
			}
		}
	}
	ins := []ewtT{{dt: models.Bool, shape: []int{3}, vals: []float64{1, 0, 0}}, {dt: models.Int32, shape: []int{1}, vals: []float64{0}, konst: true}}
	_, got := ewtRunShape(t, ops.OpReverseV2, 1, ins, ewtT{dt: models.Bool, shape: []int{3}})
	ewtCompare(t, "REVERSE_V2/bool", []int{3}, got, []float64{0, 0, 1}, 0)

	ins[1].vals = []float64{1}
	err := ewtErr(t, ops.OpReverseV2, 1, build.Options{}, ins, ewtT{dt: models.Bool, shape: []int{3}})
	ewtWantErr(t, err, ops.OpReverseV2, "axis 1 is out of range for rank 1")
	ins = []ewtT{{dt: models.Float32, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}}, {dt: models.Int32, shape: []int{2}, vals: []float64{1, -1}}}
	err = ewtErr(t, ops.OpReverseV2, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 2}})
	ewtWantErr(t, err, ops.OpReverseV2, "axis -1 is listed twice")
}
