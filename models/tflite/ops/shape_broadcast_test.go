package ops_test

import (
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestRank(t *testing.T) {
	for _, shape := range [][]int{{}, {5}, {2, 3, 4}} {
		in := ewtT{dt: models.Float32, shape: shape, vals: make([]float64, ewtNumel(shape))}
		dt, out, got := ewtRun(t, ops.OpRank, 1, build.Options{}, []ewtT{in}, ewtT{dt: models.Int32, shape: []int{}})
		if dt != models.Int32 || len(out) != 0 {
			t.Fatalf("RANK of %v: output %s %v, want an int32 scalar", shape, dt, out)
		}
		ewtCompare(t, "RANK", out, got, []float64{float64(len(shape))}, 0)
	}
}

func TestBroadcastArgs(t *testing.T) {
	for _, dt := range []models.DType{models.Int32, models.Int64} {
		ins := []ewtT{{dt: dt, shape: []int{3}, vals: []float64{2, 1, 4}}, {dt: dt, shape: []int{2}, vals: []float64{3, 1}}}
		_, shape, got := ewtRun(t, ops.OpBroadcastArgs, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3}})
		ewtCompare(t, "BROADCAST_ARGS/"+dt.String(), shape, got, []float64{2, 3, 4}, 0)
	}
	ins := []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{2, 3}}, {dt: models.Int32, shape: []int{1}, vals: []float64{4}}}
	err := ewtErr(t, ops.OpBroadcastArgs, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2}})
	ewtWantErr(t, err, ops.OpBroadcastArgs, "not broadcast-compatible")
	ins[1].dt = models.Int64
	err = ewtErr(t, ops.OpBroadcastArgs, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2}})
	ewtWantErr(t, err, ops.OpBroadcastArgs, "must both be int32 or both int64")
}

func TestBroadcastTo(t *testing.T) {
	shape := func(konst bool, v ...float64) ewtT {
		return ewtT{dt: models.Int32, shape: []int{len(v)}, vals: v, konst: konst}
	}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.Int16, models.Int32, models.Int64, models.Bool} {
		// [3,1] to [2,3,2]: each value repeated along the last axis, the
		// whole repeated along the first.
		in := ewtT{dt: dt, shape: []int{3, 1}, vals: []float64{1, 0, 1}}
		for _, konst := range []bool{true, false} {
			_, got := ewtRunShape(t, ops.OpBroadcastTo, 2, []ewtT{in, shape(konst, 2, 3, 2)}, ewtT{dt: dt, shape: []int{2, 3, 2}})
			ewtCompare(t, "BROADCAST_TO/"+dt.String(), []int{2, 3, 2}, got, []float64{1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1}, 0)
		}
	}
	// A row to a matrix.
	in := ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}
	_, got := ewtRunShape(t, ops.OpBroadcastTo, 3, []ewtT{in, shape(true, 2, 3)}, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtCompare(t, "BROADCAST_TO row", []int{2, 3}, got, []float64{1, 2, 3, 1, 2, 3}, 0)

	err := ewtErr(t, ops.OpBroadcastTo, 2, build.Options{}, []ewtT{in, shape(true, 2, 4)}, ewtT{dt: models.Float32, shape: []int{2, 4}})
	ewtWantErr(t, err, ops.OpBroadcastTo, "does not broadcast to shape [2 4]")
	err = ewtErr(t, ops.OpBroadcastTo, 2, build.Options{}, []ewtT{in, shape(false, 2, -3)}, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpBroadcastTo, "does not broadcast")
	err = ewtErr(t, ops.OpBroadcastTo, 2, build.Options{}, []ewtT{in, shape(true, 1, 1, 1, 1, 1, 1, 1, 1, 3)}, ewtT{dt: models.Float32, shape: []int{3}})
	ewtWantErr(t, err, ops.OpBroadcastTo, "at most 8 are supported")
}

// ewtRunShape runs a one-operator model and checks the output shape.
func ewtRunShape(t *testing.T, op ops.Op, version int, ins []ewtT, out ewtT) (models.DType, []float64) {
	t.Helper()
	dt, shape, got := ewtRun(t, op, version, build.Options{}, ins, out)
	if !slices.Equal(shape, out.shape) {
		t.Fatalf("%s: output shape %v, want %v", op, shape, out.shape)
	}
	return dt, got
}
