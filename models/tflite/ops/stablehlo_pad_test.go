package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// shloPadOpt is StablehloPadOptions (edge_padding_low, edge_padding_high,
// interior_padding); ewtModel writes it as builtin_options_2.
func shloPadOpt(low, high, interior []int64) build.Options {
	return ewtOpt(build.OptNone, low, high, interior)
}

func TestStablehloPad(t *testing.T) {
	// StableHLO's own example: [[1,2,3],[4,5,6]] with low [0,1], high
	// [2,1], interior [1,2] is a [5,9] result.
	want := []float64{
		0, 1, 0, 0, 2, 0, 0, 3, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 4, 0, 0, 5, 0, 0, 6, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0,
	}
	for _, dt := range []models.DType{models.Float32, models.Int8, models.Int32, models.Int64, models.UInt8} {
		ins := []ewtT{{dt: dt, shape: []int{2, 3}, vals: []float64{1, 2, 3, 4, 5, 6}}, {dt: dt, shape: []int{}, vals: []float64{0}}}
		_, shape, got := ewtRun(t, ops.OpStablehloPad, 1, shloPadOpt([]int64{0, 1}, []int64{2, 1}, []int64{1, 2}), ins, ewtT{dt: dt, shape: []int{5, 9}})
		if fmt.Sprint(shape) != "[5 9]" {
			t.Fatalf("%s: shape %v", dt, shape)
		}
		ewtCompare(t, "STABLEHLO_PAD "+dt.String(), shape, got, want, 0)
	}
	// Negative edges crop: [1,2,3,4] with low -1, high -2 is [2]; [1,2,3]
	// with interior 1 is [1,7,2,7,3], low -2 drops two, high 1 adds one:
	// [2,7,3,7].
	ins := []ewtT{{dt: models.Float32, shape: []int{4}, vals: []float64{1, 2, 3, 4}}, {dt: models.Float32, shape: []int{}, vals: []float64{9}}}
	_, shape, got := ewtRun(t, ops.OpStablehloPad, 1, shloPadOpt([]int64{-1}, []int64{-2}, []int64{0}), ins, ewtT{dt: models.Float32, shape: []int{1}})
	ewtCompare(t, "crop", shape, got, []float64{2}, 0)
	ins[0] = ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}
	ins[1].vals = []float64{7}
	_, shape, got = ewtRun(t, ops.OpStablehloPad, 1, shloPadOpt([]int64{-2}, []int64{1}, []int64{1}), ins, ewtT{dt: models.Float32, shape: []int{4}})
	ewtCompare(t, "crop interior", shape, got, []float64{2, 7, 3, 7}, 0)
	noAllocsEwt(t, ops.OpStablehloPad, 1, shloPadOpt([]int64{1}, []int64{1}, []int64{1}), ins, ewtT{dt: models.Float32, shape: []int{7}})

	op := ops.OpStablehloPad
	ewtWantErr(t, ewtErr(t, op, 1, shloPadOpt([]int64{0}, []int64{0}, []int64{-1}), ins, ewtT{dt: models.Float32, shape: []int{3}}), op, "node 0", "interior -1")
	ewtWantErr(t, ewtErr(t, op, 1, shloPadOpt([]int64{0, 0}, []int64{0}, []int64{0}), ins, ewtT{dt: models.Float32, shape: []int{3}}), op, "edge_padding_low has 2 entries")
	ewtWantErr(t, ewtErr(t, op, 1, shloPadOpt([]int64{-5}, []int64{0}, []int64{0}), ins, ewtT{dt: models.Float32, shape: []int{3}}), op, "has size -2")
}
