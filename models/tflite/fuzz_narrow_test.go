package tflite_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// narrowTypeSeeds are small models over the packed and narrow tensor types
// (int2, int4, uint4, float16, bfloat16, float8) and the operator versions that
// take them, seeding FuzzLoad and the corruption test.
func narrowTypeSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	q := func(s float32, z int64) *models.Quant {
		return &models.Quant{Scale: []float32{s}, ZeroPoint: []int64{z}}
	}

	// An int2 embedding into a fully connected layer with int2 weights
	// (hybrid), and an int8 layer with int4 weights.
	b := build.New()
	ids := b.Input("ids", models.Int32, []int{2}, nil)
	table := b.Const("table", models.Int2, []int{3, 4}, build.Raw{0xc9, 0x16, 0x9f}, q(0.5, 0))
	emb := b.Tensor("emb", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpEmbeddingLookup, 5, []int{ids, table}, []int{emb}, build.Options{})
	w2 := b.Const("w2", models.Int2, []int{2, 4}, build.Raw{0xc9, 0x16}, q(0.25, 0))
	fc := b.Tensor("fc", models.Float32, []int{2, 2}, nil)
	b.Op(ops.OpFullyConnected, 14, []int{emb, w2}, []int{fc}, build.Options{Type: build.OptFullyConnected})
	x8 := b.Input("x8", models.Int8, []int{1, 4}, q(0.5, 1))
	w4 := b.Const("w4", models.Int4, []int{2, 4}, build.Raw{0x21, 0x7d, 0x08, 0xf5}, q(0.25, 0))
	y8 := b.Tensor("y8", models.Int8, []int{1, 2}, q(0.125, 3))
	b.Op(ops.OpFullyConnected, 10, []int{x8, w4}, []int{y8}, build.Options{Type: build.OptFullyConnected})
	b.Output(fc, y8)
	add(b)

	// int16 x int4, and a packed int4 dynamic update.
	b = build.New()
	x16 := b.Input("x16", models.Int16, []int{1, 4}, q(0.5, 0))
	w := b.Const("w", models.Int4, []int{2, 4}, build.Raw{0x21, 0x7d, 0x08, 0xf5}, q(0.25, 0))
	y16 := b.Tensor("y16", models.Int16, []int{1, 2}, q(1, 0))
	b.Op(ops.OpFullyConnected, 13, []int{x16, w}, []int{y16}, build.Options{Type: build.OptFullyConnected})
	operand := b.Const("operand", models.Int4, []int{3, 3}, build.Raw{0x21, 0x43, 0x65, 0x87, 0x09}, nil)
	upd := b.Input("upd", models.Int4, []int{2, 2}, nil)
	start := b.Input("start", models.Int32, []int{2}, nil)
	dus := b.Tensor("dus", models.Int4, []int{3, 3}, nil)
	b.Op(ops.OpDynamicUpdateSlice, 5, []int{operand, upd, start}, []int{dus}, build.Options{})
	b.Output(y16, dus)
	add(b)

	// float16 SIN then GELU; float8 REVERSE_V2, GATHER_ND, BROADCAST_TO;
	// a bfloat16 dynamic update.
	b = build.New()
	h := b.Input("h", models.Float16, []int{4}, nil)
	s := b.Tensor("s", models.Float16, []int{4}, nil)
	b.Op(ops.OpSin, 2, []int{h}, []int{s}, build.Options{})
	g := b.Tensor("g", models.Float16, []int{4}, nil)
	b.Op(ops.OpGelu, 3, []int{s}, []int{g}, build.Options{})
	f8 := b.Input("f8", models.Float8E4M3FN, []int{2, 3}, nil)
	axis := b.Const("axis", models.Int32, []int{1}, []int32{1}, nil)
	rev := b.Tensor("rev", models.Float8E4M3FN, []int{2, 3}, nil)
	b.Op(ops.OpReverseV2, 4, []int{f8, axis}, []int{rev}, build.Options{})
	idx := b.Const("idx", models.Int32, []int{2, 2}, []int32{1, 2, 0, 1}, nil)
	gnd := b.Tensor("gnd", models.Float8E4M3FN, []int{2}, nil)
	b.Op(ops.OpGatherNd, 6, []int{rev, idx}, []int{gnd}, build.Options{})
	shape := b.Const("shape", models.Int32, []int{2}, []int32{3, 2}, nil)
	bc := b.Tensor("bc", models.Float8E4M3FN, []int{3, 2}, nil)
	b.Op(ops.OpBroadcastTo, 4, []int{gnd, shape}, []int{bc}, build.Options{})
	bf := b.Input("bf", models.BFloat16, []int{2, 3}, nil)
	bfu := b.Const("bfu", models.BFloat16, []int{1, 2}, build.Raw{0x80, 0x3f, 0x00, 0x40}, nil)
	bfs := b.Const("bfs", models.Int64, []int{2}, []int64{1, 1}, nil)
	bfo := b.Tensor("bfo", models.BFloat16, []int{2, 3}, nil)
	b.Op(ops.OpDynamicUpdateSlice, 6, []int{bf, bfu, bfs}, []int{bfo}, build.Options{})
	b.Output(g, bc, bfo)
	add(b)

	// The hybrid 4-bit FULLY_CONNECTED path (constant int4 filter, 4 units,
	// depth 32), int16 GELU, an embedding with float16 output, and uint4
	// through QUANTIZE, DEQUANTIZE and CAST.
	b = build.New()
	xf := b.Input("xf", models.Float32, []int{2, 32}, nil)
	w4f := make(build.Raw, 4*32/2)
	for i := range w4f {
		w4f[i] = byte(i*37) &^ 0x88 // codes in [0, 7]
	}
	wf := b.Const("w4f", models.Int4, []int{4, 32}, w4f, q(0.125, 0))
	bias := b.Const("bias", models.Float32, []int{4}, []float32{0.5, -1, 0, 2}, nil)
	yf := b.Tensor("yf", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpFullyConnected, 10, []int{xf, wf, bias}, []int{yf}, build.Options{Type: build.OptFullyConnected})
	u4 := b.Tensor("u4", models.UInt4, []int{2, 4}, q(0.25, 8))
	b.Op(ops.OpQuantize, 1, []int{yf}, []int{u4}, build.Options{})
	dq := b.Tensor("dq", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpDequantize, 1, []int{u4}, []int{dq}, build.Options{})
	i4 := b.Tensor("i4", models.Int4, []int{2, 4}, nil)
	b.Op(ops.OpCast, 7, []int{dq}, []int{i4}, build.Options{})
	back := b.Tensor("back", models.Float32, []int{2, 4}, nil)
	b.Op(ops.OpCast, 7, []int{i4}, []int{back}, build.Options{})
	g16in := b.Input("g16in", models.Int16, []int{8}, q(1.0/4096, 0))
	g16 := b.Tensor("g16", models.Int16, []int{8}, q(1.0/4096, 0))
	b.Op(ops.OpGelu, 2, []int{g16in}, []int{g16}, build.Options{})
	eids := b.Input("eids", models.Int32, []int{2}, nil)
	etab := b.Const("etab", models.Int8, []int{3, 2}, build.Raw{1, 2, 3, 4, 5, 0xfa}, q(0.5, 0))
	eout := b.Tensor("eout", models.Float16, []int{2, 2}, nil)
	b.Op(ops.OpEmbeddingLookup, 3, []int{eids, etab}, []int{eout}, build.Options{})
	b.Output(back, g16, eout)
	add(b)
	return out
}

// TestNarrowTypeSeedsRun keeps the seeds meaningful: each loads and runs
// (with zeroed inputs) before the fuzzer mutates it.
func TestNarrowTypeSeedsRun(t *testing.T) {
	for i, data := range narrowTypeSeeds(t) {
		it, err := tflite.Load(data, models.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		err = it.Invoke(context.Background())
		it.Close()
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
}
