package ops_test

import (
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestQuantizeCastFillOps runs QUANTIZE, DEQUANTIZE, CAST, ZEROS_LIKE and
// FILL once each on hand-computed values.
func TestQuantizeCastFillOps(t *testing.T) {
	q := ewtQ(0.5, 1)
	for _, c := range []struct {
		name string
		op   ops.Op
		in   ewtT
		out  ewtT
		want []float64
	}{
		// round(x/0.5)+1, saturated: 2+1, -4+1, 200+1 -> 127.
		{"quantize float32 to int8", ops.OpQuantize, ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1, -2.2, 100}}, ewtT{dt: models.Int8, shape: []int{3}, q: q}, []float64{3, -3, 127}},
		// Requantize to half the scale: reals 5, -10, 50 -> codes 20, -40, 200 -> 127.
		{"requantize int8", ops.OpQuantize, ewtT{dt: models.Int8, shape: []int{3}, q: ewtQ(0.5, 0), vals: []float64{10, -20, 100}}, ewtT{dt: models.Int8, shape: []int{3}, q: ewtQ(0.25, 0)}, []float64{20, -40, 127}},
		// (code-1)*0.5.
		{"dequantize int8", ops.OpDequantize, ewtT{dt: models.Int8, shape: []int{3}, q: q, vals: []float64{3, -3, -128}}, ewtT{dt: models.Float32, shape: []int{3}}, []float64{1, -2, -64.5}},
		{"dequantize uint8", ops.OpDequantize, ewtT{dt: models.UInt8, shape: []int{2}, q: ewtQ(0.5, 128), vals: []float64{130, 0}}, ewtT{dt: models.Float32, shape: []int{2}}, []float64{1, -64}},
		// C++ static_cast truncates towards zero.
		{"cast float32 to int32", ops.OpCast, ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1.7, -1.7, 3}}, ewtT{dt: models.Int32, shape: []int{3}}, []float64{1, -1, 3}},
		{"cast int32 to bool", ops.OpCast, ewtT{dt: models.Int32, shape: []int{3}, vals: []float64{0, 2, -1}}, ewtT{dt: models.Bool, shape: []int{3}}, []float64{0, 1, 1}},
		{"cast uint8 to float32", ops.OpCast, ewtT{dt: models.UInt8, shape: []int{2}, vals: []float64{255, 7}}, ewtT{dt: models.Float32, shape: []int{2}}, []float64{255, 7}},
		{"zeros_like float32", ops.OpZerosLike, ewtT{dt: models.Float32, shape: []int{3}, vals: []float64{1, -2, 3}}, ewtT{dt: models.Float32, shape: []int{3}}, []float64{0, 0, 0}},
		{"zeros_like int64", ops.OpZerosLike, ewtT{dt: models.Int64, shape: []int{2}, vals: []float64{5, 6}}, ewtT{dt: models.Int64, shape: []int{2}}, []float64{0, 0}},
	} {
		dt, shape, got := ewtRun(t, c.op, 1, build.Options{}, []ewtT{c.in}, c.out)
		if dt != c.out.dt {
			t.Fatalf("%s: output type %s, want %s", c.name, dt, c.out.dt)
		}
		ewtCompare(t, c.name, shape, got, c.want, 0)
	}

	// FILL: dims [2,3] and the scalar 1.5.
	ins := []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{2, 3}, konst: true}, {dt: models.Float32, shape: []int{}, vals: []float64{1.5}}}
	_, shape, got := ewtRun(t, ops.OpFill, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	if !slices.Equal(shape, []int{2, 3}) {
		t.Fatalf("FILL: shape %v, want [2 3]", shape)
	}
	ewtCompare(t, "FILL", shape, got, []float64{1.5, 1.5, 1.5, 1.5, 1.5, 1.5}, 0)
	ins[1].shape = []int{2}
	ins[1].vals = []float64{1, 2}
	err := ewtErr(t, ops.OpFill, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{2, 3}})
	ewtWantErr(t, err, ops.OpFill, "value must be a scalar")
}
