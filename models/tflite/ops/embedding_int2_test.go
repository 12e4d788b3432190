package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestEmbeddingLookupInt2 checks version 5: a packed int2 table read as
// LiteRT's Unpack2Bit does. Rows [1 -2 0 -1], [-2 1 1 0], [-1 -1 1 -2]
// pack to 0xc9, 0x16, 0x9f (first element in the lowest two bits).
func TestEmbeddingLookupInt2(t *testing.T) {
	op := ops.OpEmbeddingLookup
	table := []byte{0xc9, 0x16, 0x9f}
	out := rawT{dt: models.Float32, shape: []int{3, 4}}
	ids := rawT{dt: models.Int32, shape: []int{3}, data: i32Bytes(2, 0, 2)}
	got, err := rawRun(t, op, 5, build.Options{}, []rawT{ids, {dt: models.Int2, shape: []int{3, 4}, q: ewtQ(0.5, 0), data: table, konst: true}}, out)
	rawWant(t, "int2 per table", got, err, f32Bytes(-0.5, -0.5, 0.5, -1, 0.5, -1, 0, -0.5, -0.5, -0.5, 0.5, -1))

	// One scale per row (axis 0).
	pc := &models.Quant{Scale: []float32{0.5, 1, 2}, ZeroPoint: []int64{0, 0, 0}}
	ids2 := rawT{dt: models.Int32, shape: []int{2}, data: i32Bytes(1, 2)}
	got, err = rawRun(t, op, 5, build.Options{}, []rawT{ids2, {dt: models.Int2, shape: []int{3, 4}, q: pc, data: table, konst: true}}, rawT{dt: models.Float32, shape: []int{2, 4}})
	rawWant(t, "int2 per row", got, err, f32Bytes(-2, 1, 1, 0, -2, -2, 2, -4))

	// Rows of 6 elements: row 1 starts at element 6, but LiteRT reads it
	// from byte 6/4 = 1, i.e. from element 4; the same addressing here.
	got, err = rawRun(t, op, 5, build.Options{}, []rawT{{dt: models.Int32, shape: []int{1}, data: i32Bytes(1)}, {dt: models.Int2, shape: []int{2, 6}, q: ewtQ(1, 0), data: table, konst: true}}, rawT{dt: models.Float32, shape: []int{1, 6}})
	rawWant(t, "int2 unaligned row", got, err, f32Bytes(-2, 1, 1, 0, -1, -1))

	// Refused as LiteRT refuses: non-zero zero points, and a same-typed
	// (raw copy) int2 output, which has no byte-sized row.
	_, err = rawRun(t, op, 5, build.Options{}, []rawT{ids, {dt: models.Int2, shape: []int{3, 4}, q: ewtQ(0.5, 1), data: table, konst: true}}, out)
	ewtWantErr(t, err, op, "node 0", "zero point 1")
	_, err = rawRun(t, op, 5, build.Options{}, []rawT{ids, {dt: models.Int2, shape: []int{3, 4}, data: table, konst: true}}, rawT{dt: models.Int2, shape: []int{3, 4}})
	ewtWantErr(t, err, op, "type int2 is not supported")
	_, err = rawRun(t, op, 5, build.Options{}, []rawT{ids, {dt: models.Int2, shape: []int{3, 4}, q: ewtQ(0.5, 0), data: table, konst: true}}, rawT{dt: models.BFloat16, shape: []int{3, 4}})
	ewtWantErr(t, err, op, "int2 with output tensor", "bfloat16 is not supported")
}
