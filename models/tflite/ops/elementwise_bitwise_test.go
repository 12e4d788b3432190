package ops_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func TestBitwiseXor(t *testing.T) {
	// 12 ^ 10 = 6, 5 ^ 5 = 0, 7 ^ 0 = 7; signed -1 ^ 1 = -2.
	for _, dt := range []models.DType{models.Int8, models.UInt8, models.Int16, models.UInt16, models.Int32, models.UInt32} {
		ins := []ewtT{{dt: dt, shape: []int{3}, vals: []float64{12, 5, 7}}, {dt: dt, shape: []int{3}, vals: []float64{10, 5, 0}}}
		_, shape, got := ewtRun(t, ops.OpBitwiseXor, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3}})
		ewtCompare(t, "XOR "+dt.String(), shape, got, []float64{6, 0, 7}, 0)
	}
	// Broadcast a [2,1] against [3].
	ins := []ewtT{{dt: models.Int32, shape: []int{2, 1}, vals: []float64{-1, 1}}, {dt: models.Int32, shape: []int{3}, vals: []float64{1, 2, 3}, konst: true}}
	_, shape, got := ewtRun(t, ops.OpBitwiseXor, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2, 3}})
	ewtCompare(t, "XOR broadcast", shape, got, []float64{-2, -3, -4, 0, 3, 2}, 0)
	noAllocsEwt(t, ops.OpBitwiseXor, 1, build.Options{}, ins, ewtT{dt: models.Int32, shape: []int{2, 3}})
	f := ewtT{dt: models.Float32, shape: []int{1}, vals: []float64{1}}
	ewtWantErr(t, ewtErr(t, ops.OpBitwiseXor, 1, build.Options{}, []ewtT{f, f}, f), ops.OpBitwiseXor, "node 0", "float32 is not supported")
}

func TestRightShift(t *testing.T) {
	// 64 >> 2 = 16; a shift past the width clamps to width-1 (so 64 >> 100
	// is 0 and -64 >> 100 is -1); a negative shift is 0.
	for _, dt := range []models.DType{models.Int8, models.Int16, models.Int32} {
		ins := []ewtT{{dt: dt, shape: []int{5}, vals: []float64{64, -64, 64, -64, 5}}, {dt: dt, shape: []int{5}, vals: []float64{2, 2, 100, 100, -3}}}
		_, shape, got := ewtRun(t, ops.OpRightShift, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{5}})
		ewtCompare(t, "RIGHT_SHIFT "+dt.String(), shape, got, []float64{16, -16, 0, -1, 5}, 0)
	}
	// Unsigned: the type's maximum shifted by 100 (clamped to bits-1) is 1.
	for _, dt := range []models.DType{models.UInt8, models.UInt16, models.UInt32} {
		top := math.Pow(2, float64(8*dt.Size())) - 1
		ins := []ewtT{{dt: dt, shape: []int{3}, vals: []float64{200, top, 7}}, {dt: dt, shape: []int{3}, vals: []float64{3, 100, 0}}}
		_, shape, got := ewtRun(t, ops.OpRightShift, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{3}})
		ewtCompare(t, fmt.Sprint("RIGHT_SHIFT ", dt), shape, got, []float64{25, 1, 7}, 0)
	}
}

func TestAtan2(t *testing.T) {
	y := []float64{1, 1, -1, 0, 0}
	x := []float64{1, -1, -1, -1, 1}
	want := []float64{math.Pi / 4, 3 * math.Pi / 4, -3 * math.Pi / 4, math.Pi, 0}
	for _, dt := range []models.DType{models.Float32, models.Float64} {
		ins := []ewtT{{dt: dt, shape: []int{5}, vals: y}, {dt: dt, shape: []int{5}, vals: x}}
		_, shape, got := ewtRun(t, ops.OpAtan2, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{5}})
		tol := 1e-15
		if dt == models.Float32 {
			tol = 1e-6
		}
		ewtCompare(t, "ATAN2 "+dt.String(), shape, got, want, tol)
		noAllocsEwt(t, ops.OpAtan2, 1, build.Options{}, ins, ewtT{dt: dt, shape: []int{5}})
	}
	ins := []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}, {dt: models.Float32, shape: []int{1}, vals: []float64{1}}}
	ewtWantErr(t, ewtErr(t, ops.OpAtan2, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2}}), ops.OpAtan2, "node 0", "shapes [2] and [1] differ")
}

func TestBitcast(t *testing.T) {
	// float32 1.0 is 0x3F800000: as int32 1065353216, as two int16 (little
	// endian) [0, 16256], and back.
	in := []ewtT{{dt: models.Float32, shape: []int{2}, vals: []float64{1, -2}}}
	_, shape, got := ewtRun(t, ops.OpBitcast, 1, build.Options{}, in, ewtT{dt: models.Int32, shape: []int{2}})
	ewtCompare(t, "float32->int32", shape, got, []float64{1065353216, -1073741824}, 0)
	_, shape, got = ewtRun(t, ops.OpBitcast, 1, build.Options{}, in, ewtT{dt: models.Int16, shape: []int{2, 2}})
	if fmt.Sprint(shape) != "[2 2]" {
		t.Fatalf("float32->int16 shape %v", shape)
	}
	ewtCompare(t, "float32->int16", shape, got, []float64{0, 16256, 0, -16384}, 0)
	back := []ewtT{{dt: models.Int16, shape: []int{2, 2}, vals: []float64{0, 16256, 0, -16384}}}
	_, shape, got = ewtRun(t, ops.OpBitcast, 1, build.Options{}, back, ewtT{dt: models.Float32, shape: []int{2}})
	ewtCompare(t, "int16->float32", shape, got, []float64{1, -2}, 0)
	noAllocsEwt(t, ops.OpBitcast, 1, build.Options{}, back, ewtT{dt: models.Float32, shape: []int{2}})
	bad := []ewtT{{dt: models.Int16, shape: []int{3}, vals: []float64{0, 1, 2}}}
	ewtWantErr(t, ewtErr(t, ops.OpBitcast, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{1}}), ops.OpBitcast, "node 0", "must end in 2")
}
