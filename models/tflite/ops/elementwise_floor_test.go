package ops_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Hand-computed: floor(7/2)=3, floor(-7/2)=-4, floor(7/-2)=-4,
// floor(-7/-2)=3, floor(6/3)=2, floor(0/5)=0; the modulus takes the
// divisor's sign: 7 mod 2 = 1, -7 mod 2 = 1, 7 mod -2 = -1, -7 mod -2 = -1.
var (
	floorA   = []float64{7, -7, 7, -7, 6, 0}
	floorB   = []float64{2, 2, -2, -2, 3, 5}
	floorDiv = []float64{3, -4, -4, 3, 2, 0}
	floorMod = []float64{1, 1, -1, -1, 0, 0}
)

func TestFloorDivMod(t *testing.T) {
	for _, c := range []struct {
		op      ops.Op
		version int
		dts     []models.DType
		want    []float64
	}{
		{ops.OpFloorDiv, 3, []models.DType{models.Float32, models.Int32, models.Int16, models.Int8}, floorDiv},
		{ops.OpFloorMod, 2, []models.DType{models.Float32, models.Int32, models.Int16, models.Int8, models.Int64}, floorMod},
	} {
		for _, dt := range c.dts {
			ins := []ewtT{{dt: dt, shape: []int{6}, vals: floorA}, {dt: dt, shape: []int{6}, vals: floorB}}
			gotDT, shape, got := ewtRun(t, c.op, c.version, build.Options{}, ins, ewtT{dt: dt, shape: []int{6}})
			if gotDT != dt || !slices.Equal(shape, []int{6}) {
				t.Fatalf("%s/%s: output %s %v", c.op, dt, gotDT, shape)
			}
			ewtCompare(t, fmt.Sprintf("%s/%s", c.op, dt), shape, got, c.want, 0)
		}
	}
}

func TestFloorDivModFloat(t *testing.T) {
	// floor(-1.5/0.5) = -3, floor(5.5/-2) = -3; fmod(5.5, -2) = 1.5 moves
	// to -0.5; fmod(-1.5, 0.5) = -0 stays.
	ins := []ewtT{{dt: models.Float32, shape: []int{3}, vals: []float64{-1.5, 5.5, 2.25}}, {dt: models.Float32, shape: []int{3}, vals: []float64{0.5, -2, 1}}}
	_, _, got := ewtRun(t, ops.OpFloorDiv, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{3}})
	ewtCompare(t, "FLOOR_DIV float", []int{3}, got, []float64{-3, -3, 2}, 0)
	_, _, got = ewtRun(t, ops.OpFloorMod, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{3}})
	ewtCompare(t, "FLOOR_MOD float", []int{3}, got, []float64{0, -0.5, 0.25}, 0)
}

func TestFloorBroadcast(t *testing.T) {
	// [2,3] by [3]: each row divided by (2, -3, 4).
	a := ewtT{dt: models.Int32, shape: []int{2, 3}, vals: []float64{5, 5, 5, -5, -5, -5}}
	b := ewtT{dt: models.Int32, shape: []int{3}, vals: []float64{2, -3, 4}, konst: true}
	_, shape, got := ewtRun(t, ops.OpFloorDiv, 2, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Int32, shape: []int{2, 3}})
	ewtCompare(t, "FLOOR_DIV broadcast", shape, got, []float64{2, -2, 1, -3, 1, -2}, 0)
	_, shape, got = ewtRun(t, ops.OpFloorMod, 1, build.Options{}, []ewtT{a, b}, ewtT{dt: models.Int32, shape: []int{2, 3}})
	ewtCompare(t, "FLOOR_MOD broadcast", shape, got, []float64{1, -1, 1, 1, -2, 3}, 0)
	// A scalar divisor against a [1,2,2] input.
	s := ewtT{dt: models.Int8, shape: []int{}, vals: []float64{-4}}
	x := ewtT{dt: models.Int8, shape: []int{1, 2, 2}, vals: []float64{9, -9, 4, 0}}
	_, shape, got = ewtRun(t, ops.OpFloorMod, 2, build.Options{}, []ewtT{x, s}, ewtT{dt: models.Int8, shape: []int{1, 2, 2}})
	ewtCompare(t, "FLOOR_MOD scalar", shape, got, []float64{-3, -1, 0, 0}, 0)
}

func TestFloorErrors(t *testing.T) {
	i32 := func(v ...float64) ewtT { return ewtT{dt: models.Int32, shape: []int{len(v)}, vals: v} }
	out := ewtT{dt: models.Int32, shape: []int{3}}
	for _, op := range []ops.Op{ops.OpFloorDiv, ops.OpFloorMod} {
		err := ewtErr(t, op, 1, build.Options{}, []ewtT{i32(1, 2, 3), i32(1, 1, 0)}, out)
		ewtWantErr(t, err, op, "division by zero", "element 2")
		err = ewtErr(t, op, 1, build.Options{}, []ewtT{i32(1, 2, 3), {dt: models.Int16, shape: []int{3}, vals: []float64{1, 1, 1}}}, out)
		ewtWantErr(t, err, op, "input types differ")
		err = ewtErr(t, op, 1, build.Options{}, []ewtT{i32(1, 2, 3), i32(1, 2)}, out)
		ewtWantErr(t, err, op, "not broadcast-compatible")
		u8 := ewtT{dt: models.UInt8, shape: []int{1}, vals: []float64{1}}
		err = ewtErr(t, op, 1, build.Options{}, []ewtT{u8, u8}, ewtT{dt: models.UInt8, shape: []int{1}})
		ewtWantErr(t, err, op, "input type uint8 is not supported")
	}
	// A float zero divisor is an error for FLOOR_DIV (as in TFLite), NaN
	// for FLOOR_MOD.
	f := func(v ...float64) ewtT { return ewtT{dt: models.Float32, shape: []int{len(v)}, vals: v} }
	err := ewtErr(t, ops.OpFloorDiv, 1, build.Options{}, []ewtT{f(1), f(0)}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpFloorDiv, "division by zero")
	i64 := ewtT{dt: models.Int64, shape: []int{1}, vals: []float64{1}}
	err = ewtErr(t, ops.OpFloorDiv, 1, build.Options{}, []ewtT{i64, i64}, ewtT{dt: models.Int64, shape: []int{1}})
	ewtWantErr(t, err, ops.OpFloorDiv, "input type int64 is not supported")
	err = ewtErr(t, ops.OpFloorDiv, 4, build.Options{}, []ewtT{f(1), f(1)}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpFloorDiv, "version 4", "node 0")
}
