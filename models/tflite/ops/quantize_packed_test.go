package ops_test

import (
	"math"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestPackedCastQuantize covers int4, uint4 and int2 in CAST, QUANTIZE and
// DEQUANTIZE, the kernels LiteRT gives these types. Packed bytes hold the
// first element in the lowest bits; every expected byte is worked out in
// the comments.
func TestPackedCastQuantize(t *testing.T) {
	nan := float32(math.NaN())
	f32 := func(shape []int, v ...float32) rawT {
		return rawT{dt: models.Float32, shape: shape, data: f32Bytes(v...)}
	}
	cast := func(in rawT, out rawT) ([]byte, error) {
		return rawRun(t, ops.OpCast, 7, build.Options{}, []rawT{in}, out)
	}

	// float32 -> int4: clamp to [-8, 7], truncate toward zero, NaN -> 7:
	// [-8 -8 0 0 3 7 7] -> 0x88 0x00 0x73 0x07.
	got, err := cast(f32([]int{7}, -9, -8.5, -0.7, 0.7, 3.9, 7.5, nan), rawT{dt: models.Int4, shape: []int{7}})
	rawWant(t, "cast float32 to int4", got, err, []byte{0x88, 0x00, 0x73, 0x07})
	// float32 -> uint4: [0 0 15 15 7 15] -> 0x00 0xff 0xf7.
	got, err = cast(f32([]int{6}, -1, 0.5, 15.9, 16, 7.2, nan), rawT{dt: models.UInt4, shape: []int{6}})
	rawWant(t, "cast float32 to uint4", got, err, []byte{0x00, 0xff, 0xf7})
	// float32 -> int2: [-2 -1 0 1 1] -> 2 | 3<<2 | 0<<4 | 1<<6 = 0x4e, 0x01.
	got, err = cast(f32([]int{5}, -3, -1.5, 0.9, 1.5, nan), rawT{dt: models.Int2, shape: []int{5}})
	rawWant(t, "cast float32 to int2", got, err, []byte{0x4e, 0x01})

	// And back, from run-time inputs.
	got, err = cast(rawT{dt: models.Int4, shape: []int{7}, data: []byte{0x88, 0x00, 0x73, 0x07}}, rawT{dt: models.Float32, shape: []int{7}})
	rawWant(t, "cast int4 to float32", got, err, f32Bytes(-8, -8, 0, 0, 3, 7, 7))
	got, err = cast(rawT{dt: models.UInt4, shape: []int{6}, data: []byte{0x00, 0xff, 0xf7}}, rawT{dt: models.Float32, shape: []int{6}})
	rawWant(t, "cast uint4 to float32", got, err, f32Bytes(0, 0, 15, 15, 7, 15))
	got, err = cast(rawT{dt: models.Int2, shape: []int{5}, data: []byte{0x4e, 0x01}}, rawT{dt: models.Float32, shape: []int{5}})
	rawWant(t, "cast int2 to float32", got, err, f32Bytes(-2, -1, 0, 1, 1))

	// QUANTIZE float32 -> uint4, scale 0.5, zero point 8: x/0.5 rounded
	// half away from zero = [-10 -1 1 1 7 20], plus 8, clamped to [0, 15]:
	// [0 7 9 9 15 15] -> 0x70 0x99 0xff.
	got, err = rawRun(t, ops.OpQuantize, 1, build.Options{}, []rawT{f32([]int{6}, -5, -0.25, 0.25, 0.74, 3.5, 10)}, rawT{dt: models.UInt4, shape: []int{6}, q: ewtQ(0.5, 8)})
	rawWant(t, "quantize to uint4", got, err, []byte{0x70, 0x99, 0xff})
	// float32 -> int4, scale 0.25, zero point -1: [-12 -1 1 8] - 1 clamped
	// to [-8, 7]: [-8 -2 0 7] -> 0xe8 0x70.
	got, err = rawRun(t, ops.OpQuantize, 1, build.Options{}, []rawT{f32([]int{4}, -3, -0.125, 0.3, 2)}, rawT{dt: models.Int4, shape: []int{4}, q: ewtQ(0.25, -1)})
	rawWant(t, "quantize to int4", got, err, []byte{0xe8, 0x70})

	// DEQUANTIZE uint4 (scale 0.5, zero point 8) of [0 7 9 9 15 15], a
	// constant and a run-time input.
	for _, konst := range []bool{true, false} {
		u4 := rawT{dt: models.UInt4, shape: []int{6}, q: ewtQ(0.5, 8), data: []byte{0x70, 0x99, 0xff}, konst: konst}
		got, err = rawRun(t, ops.OpDequantize, 1, build.Options{}, []rawT{u4}, rawT{dt: models.Float32, shape: []int{6}})
		rawWant(t, "dequantize uint4", got, err, f32Bytes(-4, -0.5, 0.5, 0.5, 3.5, 3.5))
	}
	// int2 per channel (axis 0, scales 1 and 0.5): [-2 1 -1 0] is
	// 2 | 1<<2 | 3<<4 = 0x36.
	i2 := rawT{dt: models.Int2, shape: []int{2, 2}, q: &models.Quant{Scale: []float32{1, 0.5}, ZeroPoint: []int64{0, 0}}, data: []byte{0x36}, konst: true}
	got, err = rawRun(t, ops.OpDequantize, 1, build.Options{}, []rawT{i2}, rawT{dt: models.Float32, shape: []int{2, 2}})
	rawWant(t, "dequantize int2 per channel", got, err, f32Bytes(-2, 1, -0.5, 0))

	noAllocsRaw(t, ops.OpCast, 7, build.Options{}, []rawT{f32([]int{6}, -1, 0.5, 15.9, 16, 7.2, 3)}, rawT{dt: models.UInt4, shape: []int{6}})
	noAllocsRaw(t, ops.OpQuantize, 1, build.Options{}, []rawT{f32([]int{4}, -3, -0.125, 0.3, 2)}, rawT{dt: models.Int4, shape: []int{4}, q: ewtQ(0.25, -1)})
	noAllocsRaw(t, ops.OpDequantize, 1, build.Options{}, []rawT{{dt: models.UInt4, shape: []int{6}, q: ewtQ(0.5, 8), data: []byte{0x70, 0x99, 0xff}}}, rawT{dt: models.Float32, shape: []int{6}})

	// Refused as LiteRT refuses them.
	_, err = cast(rawT{dt: models.Int4, shape: []int{2}, data: []byte{0x12}}, rawT{dt: models.Int8, shape: []int{2}})
	ewtWantErr(t, err, ops.OpCast, "node 0", "cast from int4 to int8 is not supported")
	_, err = cast(f32([]int{2}, 1, 2), rawT{dt: models.Int2, shape: []int{2}, q: ewtQ(1, 0)})
	if err != nil {
		t.Errorf("cast float32 to int2 with quantization: %v", err)
	}
	_, err = cast(rawT{dt: models.Float16, shape: []int{2}, data: []byte{0, 0, 0, 0}}, rawT{dt: models.UInt4, shape: []int{2}})
	ewtWantErr(t, err, ops.OpCast, "cast from float16 to uint4 is not supported")
	pc := &models.Quant{Scale: []float32{1, 2}, ZeroPoint: []int64{0, 0}}
	_, err = rawRun(t, ops.OpQuantize, 1, build.Options{}, []rawT{f32([]int{2}, 1, 2)}, rawT{dt: models.UInt4, shape: []int{2}, q: pc})
	ewtWantErr(t, err, ops.OpQuantize, "per-channel quantization to uint4 is not supported")
	_, err = rawRun(t, ops.OpQuantize, 1, build.Options{}, []rawT{f32([]int{2}, 1, 2)}, rawT{dt: models.Int2, shape: []int{2}, q: ewtQ(1, 0)})
	ewtWantErr(t, err, ops.OpQuantize, "input type float32 with output type int2 is not supported")
	_, err = rawRun(t, ops.OpDequantize, 1, build.Options{}, []rawT{{dt: models.UInt4, shape: []int{2}, q: ewtQ(1, 16), data: []byte{0}, konst: true}}, rawT{dt: models.Float32, shape: []int{2}})
	ewtWantErr(t, err, ops.OpDequantize, "zero point 16 outside the uint4 range")
}
