package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestWhere(t *testing.T) {
	// [[T,F,T],[F,F,T]]: coordinates (0,0), (0,2), (1,2).
	for _, dt := range []models.DType{models.Bool, models.Float32, models.Int64, models.Int32, models.Int8, models.UInt8, models.UInt32} {
		for _, konst := range []bool{false, true} {
			in := []ewtT{{dt: dt, shape: []int{2, 3}, vals: []float64{1, 0, 1, 0, 0, 1}, konst: konst}}
			gotDT, shape, got := ewtRun(t, ops.OpWhere, 2, build.Options{}, in, ewtT{dt: models.Int64, shape: []int{3, 2}})
			if gotDT != models.Int64 || fmt.Sprint(shape) != "[3 2]" {
				t.Fatalf("%s: output %s %v", dt, gotDT, shape)
			}
			ewtCompare(t, fmt.Sprintf("WHERE %s const=%v", dt, konst), shape, got, []float64{0, 0, 0, 2, 1, 2}, 0)
		}
	}
	// Float -0 is zero; 1-D input gives [n,1]; nothing true gives [0,1].
	_, shape, got := ewtRun(t, ops.OpWhere, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{4}, vals: []float64{0.5, 0, -2, 0}}}, ewtT{dt: models.Int64, shape: []int{2, 1}})
	ewtCompare(t, "WHERE 1-D", shape, got, []float64{0, 2}, 0)
	_, shape, _ = ewtRun(t, ops.OpWhere, 1, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{3}, vals: []float64{0, 0, 0}}}, ewtT{dt: models.Int64, shape: []int{0, 1}})
	if fmt.Sprint(shape) != "[0 1]" {
		t.Fatalf("WHERE all false: shape %v", shape)
	}
	err := ewtErr(t, ops.OpWhere, 1, build.Options{}, []ewtT{{dt: models.Int16, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Int64, shape: []int{1, 1}})
	ewtWantErr(t, err, ops.OpWhere, "node 0", "int16 is not supported")
	err = ewtErr(t, ops.OpWhere, 1, build.Options{}, []ewtT{{dt: models.Bool, shape: []int{}, vals: []float64{1}}}, ewtT{dt: models.Int64, shape: []int{1, 0}})
	ewtWantErr(t, err, ops.OpWhere, "rank > 0")
}

func bucketOpt(b ...float32) build.Options { return ewtOpt(build.OptBucketize, b) }

func TestBucketize(t *testing.T) {
	// Boundaries [0, 10, 100]: -5 -> 0, 0 -> 1 (equal goes right), 5 -> 1,
	// 10 -> 2, 99 -> 2, 100 -> 3, 1000 -> 3.
	x := []float64{-5, 0, 5, 10, 99, 100, 1000}
	want := []float64{0, 1, 1, 2, 2, 3, 3}
	for _, dt := range []models.DType{models.Float32, models.Int32, models.Int64, models.Float64} {
		gotDT, shape, got := ewtRun(t, ops.OpBucketize, 1, bucketOpt(0, 10, 100), []ewtT{{dt: dt, shape: []int{7}, vals: x}}, ewtT{dt: models.Int32, shape: []int{7}})
		if gotDT != models.Int32 {
			t.Fatalf("%s: output type %s", dt, gotDT)
		}
		ewtCompare(t, "BUCKETIZE "+dt.String(), shape, got, want, 0)
	}
	// float64 compares against the widened float32 boundary: 0.1f is
	// 0.100000001490116, so 0.1 (float64) is below it.
	_, shape, got := ewtRun(t, ops.OpBucketize, 1, bucketOpt(0.1), []ewtT{{dt: models.Float64, shape: []int{2}, vals: []float64{0.1, 0.10000001}}}, ewtT{dt: models.Int32, shape: []int{2}})
	ewtCompare(t, "BUCKETIZE float64 widening", shape, got, []float64{0, 1}, 0)
	// int32 values are converted to float32: 16777217 rounds to 16777216,
	// equal to the boundary.
	_, shape, got = ewtRun(t, ops.OpBucketize, 1, bucketOpt(16777217), []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{16777217}}}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtCompare(t, "BUCKETIZE int32 rounding", shape, got, []float64{1}, 0)
	// No boundaries: everything is bucket 0.
	_, shape, got = ewtRun(t, ops.OpBucketize, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{-1, 1}}}, ewtT{dt: models.Int32, shape: []int{2}})
	ewtCompare(t, "BUCKETIZE empty", shape, got, []float64{0, 0}, 0)
	noAllocsEwt(t, ops.OpBucketize, 1, bucketOpt(0, 10, 100), []ewtT{{dt: models.Float32, shape: []int{7}, vals: x}}, ewtT{dt: models.Int32, shape: []int{7}})

	err := ewtErr(t, ops.OpBucketize, 1, bucketOpt(1, 0), []ewtT{{dt: models.Float32, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpBucketize, "node 0", "boundaries must be sorted", "boundary 1")
	err = ewtErr(t, ops.OpBucketize, 1, bucketOpt(1), []ewtT{{dt: models.Int8, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Int32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpBucketize, "int8 is not supported")
}

func TestSparseToDense(t *testing.T) {
	op := ops.OpSparseToDense
	// 1-D: indices [1,3] values [5,7] default -1 into shape [5].
	for _, vt := range []models.DType{models.Float32, models.Int32, models.Int64, models.Int8, models.UInt8} {
		for _, it := range []models.DType{models.Int32, models.Int64} {
			def := -1.0
			if vt == models.UInt8 {
				def = 9
			}
			ins := []ewtT{
				{dt: it, shape: []int{2}, vals: []float64{1, 3}},
				{dt: it, shape: []int{1}, vals: []float64{5}, konst: true},
				{dt: vt, shape: []int{2}, vals: []float64{5, 7}},
				{dt: vt, shape: []int{}, vals: []float64{def}},
			}
			_, shape, got := ewtRun(t, op, 3, build.Options{}, ins, ewtT{dt: vt, shape: []int{5}})
			ewtCompare(t, fmt.Sprintf("1-D %s/%s", vt, it), shape, got, []float64{def, 5, def, 7, def}, 0)
		}
	}
	// 2-D with a scalar value and a non-constant shape: (0,1) and (2,0)
	// of a [3,2] output set to 4, the rest 0.
	ins := []ewtT{
		{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 1, 2, 0}},
		{dt: models.Int32, shape: []int{2}, vals: []float64{3, 2}},
		{dt: models.Float32, shape: []int{}, vals: []float64{4}},
		{dt: models.Float32, shape: []int{}, vals: []float64{0}},
	}
	_, shape, got := ewtRun(t, op, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{3, 2}})
	if fmt.Sprint(shape) != "[3 2]" {
		t.Fatalf("2-D: shape %v", shape)
	}
	ewtCompare(t, "2-D scalar", shape, got, []float64{0, 4, 0, 0, 4, 0}, 0)
	ins[1].konst = true
	noAllocsEwt(t, op, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{3, 2}})

	bad := append([]ewtT(nil), ins...)
	bad[0] = ewtT{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 1, 3, 0}}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "node 0", "index 1, coordinate 0 is 3, outside [0, 3)")
	bad[0] = ewtT{dt: models.Int32, shape: []int{2, 3}, vals: []float64{0, 1, 0, 2, 0, 0}}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "rows have 3 coordinates")
	bad = append([]ewtT(nil), ins...)
	bad[3] = ewtT{dt: models.Int32, shape: []int{}, vals: []float64{0}}
	ewtWantErr(t, ewtErr(t, op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{3, 2}}), op, "default_value", "differs")
}
