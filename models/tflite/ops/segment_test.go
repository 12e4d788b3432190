package ops_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestSegmentSum(t *testing.T) {
	// [[1,2],[3,4],[5,6]] with ids [0,0,1]: [[4,6],[5,6]].
	for _, dt := range []models.DType{models.Float32, models.Int32} {
		for _, konst := range []bool{false, true} {
			ins := []ewtT{{dt: dt, shape: []int{3, 2}, vals: []float64{1, 2, 3, 4, 5, 6}}, {dt: models.Int32, shape: []int{3}, vals: []float64{0, 0, 1}, konst: konst}}
			_, shape, got := ewtRun(t, ops.OpSegmentSum, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{2, 2}})
			if fmt.Sprint(shape) != "[2 2]" {
				t.Fatalf("%s: shape %v", dt, shape)
			}
			ewtCompare(t, fmt.Sprintf("SEGMENT_SUM %s const=%v", dt, konst), shape, got, []float64{4, 6, 5, 6}, 0)
		}
	}
	// int32 sums wrap.
	ins := []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{math.MaxInt32, 1}}, {dt: models.Int32, shape: []int{2}, vals: []float64{0, 0}, konst: true}}
	_, shape, got := ewtRun(t, ops.OpSegmentSum, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{1}})
	ewtCompare(t, "wrap", shape, got, []float64{math.MinInt32}, 0)
	noAllocsEwt(t, ops.OpSegmentSum, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{1}})

	bad := []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}, {dt: models.Int32, shape: []int{2}, vals: []float64{0, 2}}}
	ewtWantErr(t, ewtErr(t, ops.OpSegmentSum, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2}}), ops.OpSegmentSum, "node 0", "element 1 is 2")
	bad[1].vals = []float64{1, 1}
	ewtWantErr(t, ewtErr(t, ops.OpSegmentSum, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2}}), ops.OpSegmentSum, "element 0 is 1", "start at 0")
	bad[1] = ewtT{dt: models.Int32, shape: []int{3}, vals: []float64{0, 0, 0}}
	ewtWantErr(t, ewtErr(t, ops.OpSegmentSum, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2}}), ops.OpSegmentSum, "1-D with 2 elements")
	bad = []ewtT{{dt: models.Int8, shape: []int{1}, vals: []float64{1}}, {dt: models.Int32, shape: []int{1}, vals: []float64{0}}}
	ewtWantErr(t, ewtErr(t, ops.OpSegmentSum, 1, build.Options{}, bad, ewtT{dt: models.Int8, shape: []int{1}}), ops.OpSegmentSum, "int8 is not supported")
}

func TestUnsortedSegment(t *testing.T) {
	// data [1,2,3,4,5], ids [0,2,-1,0,2], 4 segments (index -1 skipped):
	// SUM [5,0,7,0], PROD [4,1,10,1], MAX [4,lowest,5,lowest], MIN
	// [1,highest,2,highest].
	for _, dt := range []models.DType{models.Float32, models.Int32} {
		lo, hi := -math.MaxFloat32, math.MaxFloat32
		if dt == models.Int32 {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		for _, c := range []struct {
			op   ops.Op
			want []float64
		}{
			{ops.OpUnsortedSegmentSum, []float64{5, 0, 7, 0}},
			{ops.OpUnsortedSegmentProd, []float64{4, 1, 10, 1}},
			{ops.OpUnsortedSegmentMax, []float64{4, lo, 5, lo}},
			{ops.OpUnsortedSegmentMin, []float64{1, hi, 2, hi}},
		} {
			for _, konst := range []bool{false, true} {
				ins := []ewtT{
					{dt: dt, shape: []int{5}, vals: []float64{1, 2, 3, 4, 5}},
					{dt: models.Int32, shape: []int{5}, vals: []float64{0, 2, -1, 0, 2}, konst: konst},
					{dt: models.Int32, shape: []int{}, vals: []float64{4}, konst: konst},
				}
				_, shape, got := ewtRun(t, c.op, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{4}})
				ewtCompare(t, fmt.Sprintf("%s %s const=%v", c.op, dt, konst), shape, got, c.want, 0)
			}
		}
	}
	// 2-D ids over [2,2,2] data: row 0 takes data[0,0] and data[1,1],
	// row 1 data[0,1] and data[1,0]; MAX gives [[7,8],[5,6]].
	ins := []ewtT{
		{dt: models.Float32, shape: []int{2, 2, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}},
		{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 1, 1, 0}, konst: true},
		{dt: models.Int32, shape: []int{1}, vals: []float64{2}, konst: true},
	}
	_, shape, got := ewtRun(t, ops.OpUnsortedSegmentMax, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 2}})
	if fmt.Sprint(shape) != "[2 2]" {
		t.Fatalf("2-D ids: shape %v", shape)
	}
	ewtCompare(t, "2-D ids", shape, got, []float64{7, 8, 5, 6}, 0)
	noAllocsEwt(t, ops.OpUnsortedSegmentMax, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 2}})

	op := ops.OpUnsortedSegmentSum
	bad := append([]ewtT(nil), ins...)
	bad[2] = ewtT{dt: models.Int32, shape: []int{}, vals: []float64{1}}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 2}}), op, "node 0", "element 1 is 1, not below num_segments 1")
	bad[2].vals = []float64{-1}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 2}}), op, "num_segments is negative")
	bad = append([]ewtT(nil), ins...)
	bad[1] = ewtT{dt: models.Int32, shape: []int{3}, vals: []float64{0, 0, 0}}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{2, 2}}), op, "not a prefix")
}
