package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// rwIns is REDUCE_WINDOW's inputs: x, init and the three int64 vectors.
func rwIns(dt models.DType, shape []int, x []float64, init float64, win, strides, dil []float64) []ewtT {
	r := len(shape)
	return []ewtT{
		{dt: dt, shape: shape, vals: x},
		{dt: dt, shape: []int{}, vals: []float64{init}},
		{dt: models.Int64, shape: []int{r}, vals: win, konst: true},
		{dt: models.Int64, shape: []int{r}, vals: strides, konst: true},
		{dt: models.Int64, shape: []int{r}, vals: dil, konst: true},
	}
}

// rwOpt is ReduceWindowOptions (ADD 1, MUL 2, MINIMUM 3, MAXIMUM 4, ALL 5,
// ANY 6); ewtModel writes it as builtin_options_2.
func rwOpt(fn int32) build.Options { return ewtOpt(build.OptNone, fn) }

func TestReduceWindow(t *testing.T) {
	x := make([]float64, 16)
	for i := range x {
		x[i] = float64(i + 1)
	}
	// A 4x4 of 1..16: 2x2 windows with stride 2 sum to 14, 22, 46, 54 and
	// peak at 6, 8, 14, 16. TFLite's own picture: a 2x2 window dilated by
	// [2,3] reduces 1+4+9+12 = 26 (and the next row 5+8+13+16 = 42).
	for _, dt := range []models.DType{models.Float32, models.Float64, models.Int32, models.Int64, models.Int16, models.Int8, models.UInt8} {
		for _, c := range []struct {
			fn       int32
			win, str []float64
			dil      []float64
			shape    []int
			want     []float64
		}{
			{1, []float64{2, 2}, []float64{2, 2}, []float64{1, 1}, []int{2, 2}, []float64{14, 22, 46, 54}},
			{4, []float64{2, 2}, []float64{2, 2}, []float64{1, 1}, []int{2, 2}, []float64{6, 8, 14, 16}},
			{3, []float64{2, 2}, []float64{2, 2}, []float64{1, 1}, []int{2, 2}, []float64{1, 3, 9, 11}},
			{1, []float64{2, 2}, []float64{1, 1}, []float64{2, 3}, []int{2, 1}, []float64{26, 42}},
			{2, []float64{1, 2}, []float64{4, 2}, []float64{1, 1}, []int{1, 2}, []float64{2, 12}},
		} {
			init := map[int32]float64{1: 0, 2: 1, 3: 100, 4: 0}[c.fn]
			_, shape, got := ewtRun(t, ops.OpReduceWindow, 1, rwOpt(c.fn), rwIns(dt, []int{4, 4}, x, init, c.win, c.str, c.dil), ewtT{dt: dt, shape: c.shape})
			if fmt.Sprint(shape) != fmt.Sprint(c.shape) {
				t.Fatalf("%s fn %d: shape %v, want %v", dt, c.fn, shape, c.shape)
			}
			ewtCompare(t, fmt.Sprintf("%s fn %d", dt, c.fn), shape, got, c.want, 0)
		}
	}
	// ALL and ANY on bool over windows of 2.
	b := []float64{1, 1, 1, 0, 0, 0}
	_, shape, got := ewtRun(t, ops.OpReduceWindow, 1, rwOpt(5), rwIns(models.Bool, []int{6}, b, 1, []float64{2}, []float64{2}, []float64{1}), ewtT{dt: models.Bool, shape: []int{3}})
	ewtCompare(t, "ALL", shape, got, []float64{1, 0, 0}, 0)
	_, shape, got = ewtRun(t, ops.OpReduceWindow, 1, rwOpt(6), rwIns(models.Bool, []int{6}, b, 0, []float64{2}, []float64{2}, []float64{1}), ewtT{dt: models.Bool, shape: []int{3}})
	ewtCompare(t, "ANY", shape, got, []float64{1, 1, 0}, 0)
	// A window larger than the input gives an empty output.
	_, shape, _ = ewtRun(t, ops.OpReduceWindow, 1, rwOpt(1), rwIns(models.Float32, []int{3}, []float64{1, 2, 3}, 0, []float64{4}, []float64{1}, []float64{1}), ewtT{dt: models.Float32, shape: []int{0}})
	if fmt.Sprint(shape) != "[0]" {
		t.Fatalf("oversized window: shape %v", shape)
	}
	noAllocsEwt(t, ops.OpReduceWindow, 1, rwOpt(1), rwIns(models.Float32, []int{4, 4}, x, 0, []float64{2, 2}, []float64{1, 1}, []float64{1, 1}), ewtT{dt: models.Float32, shape: []int{3, 3}})

	op := ops.OpReduceWindow
	ewtWantErr(t, ewtErr(t, op, 1, rwOpt(0), rwIns(models.Float32, []int{3}, []float64{1, 2, 3}, 0, []float64{1}, []float64{1}, []float64{1}), ewtT{dt: models.Float32, shape: []int{3}}), op, "node 0", "reduce_function 0")
	ewtWantErr(t, ewtErr(t, op, 1, rwOpt(1), rwIns(models.Float32, []int{3}, []float64{1, 2, 3}, 0, []float64{1}, []float64{0}, []float64{1}), ewtT{dt: models.Float32, shape: []int{3}}), op, "window_strides element 0 is 0")
	bad := rwIns(models.Float32, []int{3}, []float64{1, 2, 3}, 0, []float64{1}, []float64{1}, []float64{1})
	bad[2].konst = false
	ewtWantErr(t, ewtErr(t, op, 1, rwOpt(1), bad, ewtT{dt: models.Float32, shape: []int{3}}), op, "window_shape must be a constant int64")
}
