package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestDilate(t *testing.T) {
	// [[1,2,3],[4,5,6]] dilated by [2,3] with padding 0:
	// [[1,0,0,2,0,0,3],[0,...],[4,0,0,5,0,0,6]].
	want := []float64{1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 5, 0, 0, 6}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.UInt8, models.Int16, models.Int32, models.Int64, models.Float64} {
		for _, konst := range []bool{true, false} {
			ins := []ewtT{
				{dt: dt, shape: []int{2, 3}, vals: []float64{1, 2, 3, 4, 5, 6}},
				{dt: models.Int32, shape: []int{2}, vals: []float64{2, 3}, konst: konst},
				{dt: dt, shape: []int{}, vals: []float64{0}},
			}
			_, shape, got := ewtRun(t, ops.OpDilate, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3, 7}})
			if fmt.Sprint(shape) != "[3 7]" {
				t.Fatalf("%s: shape %v", dt, shape)
			}
			ewtCompare(t, fmt.Sprintf("DILATE %s const=%v", dt, konst), shape, got, want, 0)
		}
	}
	// Factor 1 keeps a dimension; the padding value fills the gaps.
	ins := []ewtT{
		{dt: models.Float32, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}},
		{dt: models.Int32, shape: []int{2}, vals: []float64{1, 2}, konst: true},
		{dt: models.Float32, shape: []int{}, vals: []float64{-9}},
	}
	_, shape, got := ewtRun(t, ops.OpDilate, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtCompare(t, "factor 1", shape, got, []float64{1, -9, 2, 3, -9, 4}, 0)
	noAllocsEwt(t, ops.OpDilate, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})

	bad := append([]ewtT(nil), ins...)
	bad[1] = ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{1, 0}}
	ewtWantErr(t, ewtErr(t, ops.OpDilate, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 3}}), ops.OpDilate, "node 0", "element 1 is 0")
	bad[1] = ewtT{dt: models.Int32, shape: []int{3}, vals: []float64{1, 1, 1}}
	ewtWantErr(t, ewtErr(t, ops.OpDilate, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 3}}), ops.OpDilate, "must be int32 [2]")
	bad = append([]ewtT(nil), ins...)
	bad[2] = ewtT{dt: models.Int32, shape: []int{}, vals: []float64{0}}
	ewtWantErr(t, ewtErr(t, ops.OpDilate, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 3}}), ops.OpDilate, "must have the input type")
}
