package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func h16Bytes(v ...uint16) []byte { return encode(models.UInt16, ewtF64(v)) }

// TestEmbeddingLookupFloat16 checks the hybrid path with a float16 output:
// the float32 product code*scale rounded to the nearest half. Expected
// halves are written as bits: 1 = 0x3c00, 2 = 0x4000, 3 = 0x4200, 4 =
// 0x4400, 0.5 = 0x3800, 1.5 = 0x3e00, 3.5 = 0x4300, sign 0x8000.
func TestEmbeddingLookupFloat16(t *testing.T) {
	op := ops.OpEmbeddingLookup
	ids := rawT{dt: models.Int32, shape: []int{2}, data: i32Bytes(1, 0)}
	out := rawT{dt: models.Float16, shape: []int{2, 2}}
	i8 := rawT{dt: models.Int8, shape: []int{2, 2}, q: ewtQ(0.5, 0), data: []byte{0xfe, 4, 6, 8}, konst: true}
	got, err := rawRun(t, op, 3, build.Options{}, []rawT{ids, i8}, out)
	rawWant(t, "int8", got, err, h16Bytes(0x4200, 0x4400, 0xbc00, 0x4000))

	// LiteRT checks zero points only for float32 outputs and never
	// subtracts them: zero point 5 changes nothing here.
	i8.q = ewtQ(0.5, 5)
	got, err = rawRun(t, op, 3, build.Options{}, []rawT{ids, i8}, out)
	rawWant(t, "int8 zero point ignored", got, err, h16Bytes(0x4200, 0x4400, 0xbc00, 0x4000))

	// Rounding: 0.1 is 614.4 steps of 2^-14 above 0.0625, so 0x2c00+614 =
	// 0x2e66;
	// 3*0.1f = 0.3 is 204.8 steps of 2^-12 above 0.25: 0x3400+205 =
	// 0x34cd; 127*1000 = 127000 overflows to +inf (0x7c00). A uint8 table
	// holds int8 codes: byte 255 is -1.
	u8 := rawT{dt: models.UInt8, shape: []int{2, 2}, q: ewtQ(0.1, 0), data: []byte{1, 3, 255, 0}, konst: true}
	got, err = rawRun(t, op, 2, build.Options{}, []rawT{ids, u8}, out)
	rawWant(t, "uint8 rounding", got, err, h16Bytes(0xae66, 0x0000, 0x2e66, 0x34cd))
	big := rawT{dt: models.Int8, shape: []int{2, 2}, q: ewtQ(1000, 0), data: []byte{127, 0x81, 1, 0}, konst: true}
	got, err = rawRun(t, op, 3, build.Options{}, []rawT{ids, big}, out)
	rawWant(t, "overflow", got, err, h16Bytes(0x63d0, 0, 0x7c00, 0xfc00))

	// Packed int4 rows [1,-2,3,-8] and [7,0,-1,4], scale 0.5.
	i4 := rawT{dt: models.Int4, shape: []int{2, 4}, q: ewtQ(0.5, 0), data: []byte{0xe1, 0x83, 0x07, 0x4f}, konst: true}
	got, err = rawRun(t, op, 4, build.Options{}, []rawT{ids, i4}, rawT{dt: models.Float16, shape: []int{2, 4}})
	rawWant(t, "int4", got, err, h16Bytes(0x4300, 0, 0xb800, 0x4000, 0x3800, 0xbc00, 0x3e00, 0xc400))

	// Packed int2 rows [1 -2 0 -1], [-2 1 1 0], [-1 -1 1 -2], one scale
	// per row (0.5, 1, 2), ids 1 and 2.
	pr := &models.Quant{Scale: []float32{0.5, 1, 2}, ZeroPoint: []int64{0, 0, 0}}
	i2 := rawT{dt: models.Int2, shape: []int{3, 4}, q: pr, data: []byte{0xc9, 0x16, 0x9f}, konst: true}
	ids12 := rawT{dt: models.Int32, shape: []int{2}, data: i32Bytes(1, 2)}
	got, err = rawRun(t, op, 5, build.Options{}, []rawT{ids12, i2}, rawT{dt: models.Float16, shape: []int{2, 4}})
	rawWant(t, "int2 per row", got, err, h16Bytes(0xc000, 0x3c00, 0x3c00, 0, 0xc000, 0xc000, 0x4000, 0xc400))

	noAllocsEwt(t, op, 3, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{2}, vals: []float64{1, 0}}, {dt: models.Int8, shape: []int{2, 2}, q: ewtQ(0.5, 0), vals: []float64{-2, 4, 6, 8}, konst: true}}, ewtT{dt: models.Float16, shape: []int{2, 2}})

	// Refused: an int16 table has no hybrid path, and a float16 output
	// needs a quantized table.
	i16 := rawT{dt: models.Int16, shape: []int{2, 2}, q: ewtQ(0.5, 0), data: i16Bytes(1, 2, 3, 4), konst: true}
	_, err = rawRun(t, op, 3, build.Options{}, []rawT{ids, i16}, out)
	ewtWantErr(t, err, op, "node 0", "type int16 with output tensor", "float16 is not supported")
	i8.q = nil
	_, err = rawRun(t, op, 3, build.Options{}, []rawT{ids, i8}, out)
	ewtWantErr(t, err, op, "no quantization parameters")
}
