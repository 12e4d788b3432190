package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func fqOpt(min, max float32, bits int32, narrow bool) build.Options {
	return ewtOpt(build.OptFakeQuant, min, max, bits, narrow)
}

func TestFakeQuant(t *testing.T) {
	// [-1, 2] on 8 bits: scale 3/255, zero point 85 exactly, so no nudge.
	// 0.52 is 129.2 steps above -1 -> 129 -> 0.517647; 3 and -2 clamp; 0
	// stays 0.
	s := 3.0 / 255
	x := []float64{0.52, 3, -2, 0}
	want := []float64{129*s - 1, 2, -1, 0}
	in := []ewtT{{dt: models.Float32, shape: []int{4}, vals: x}}
	_, shape, got := ewtRun(t, ops.OpFakeQuant, 1, fqOpt(-1, 2, 8, false), in, ewtT{dt: models.Float32, shape: []int{4}})
	ewtCompare(t, "8 bits", shape, got, want, 1e-6)
	// [0, 6] on 4 bits: scale 0.4, no nudge; 2.5 -> 6.25 steps -> 2.4;
	// 2.6 -> 6.5 steps rounds away from zero -> 2.8.
	in = []ewtT{{dt: models.Float32, shape: []int{3}, vals: []float64{2.5, 2.6, -1}}}
	_, shape, got = ewtRun(t, ops.OpFakeQuant, 1, fqOpt(0, 6, 4, false), in, ewtT{dt: models.Float32, shape: []int{3}})
	ewtCompare(t, "4 bits", shape, got, []float64{2.4, 2.8, 0}, 1e-6)
	noAllocsEwt(t, ops.OpFakeQuant, 1, fqOpt(0, 6, 4, false), in, ewtT{dt: models.Float32, shape: []int{3}})

	op := ops.OpFakeQuant
	ewtWantErr(t, ewtErr(t, op, 2, fqOpt(-1, 1, 8, true), in, ewtT{dt: models.Float32, shape: []int{3}}), op, "node 0", "narrow_range")
	ewtWantErr(t, ewtErr(t, op, 1, fqOpt(1, 2, 8, false), in, ewtT{dt: models.Float32, shape: []int{3}}), op, "must contain 0")
	ewtWantErr(t, ewtErr(t, op, 1, fqOpt(-1, 1, 17, false), in, ewtT{dt: models.Float32, shape: []int{3}}), op, "num_bits 17")
}
