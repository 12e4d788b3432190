package tflite_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// newOpsSeeds are small models of the operator families added for issue
// 14 (data-dependent shapes, index inputs, tables), seeding FuzzLoad and
// the corruption test.
func newOpsSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	q := &models.Quant{Scale: []float32{0.1}, ZeroPoint: []int64{2}}

	// Embedding lookup of a hybrid table, a quantized product over the
	// embedding, then the coordinates of its non-zero elements.
	b := build.New()
	ids := b.Input("ids", models.Int32, []int{3}, nil)
	table := b.Const("table", models.Int8, []int{4, 2}, []int8{1, -2, 3, 4, -5, 6, 7, -8}, &models.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{0}})
	emb := b.Tensor("emb", models.Float32, []int{3, 2}, nil)
	b.Op(ops.OpEmbeddingLookup, 3, []int{ids, table}, []int{emb}, build.Options{})
	where := b.Tensor("where", models.Int64, []int{1, 2}, nil)
	b.Op(ops.OpWhere, 1, []int{emb}, []int{where}, build.Options{})
	b.Output(where)
	x := b.Input("x", models.Int8, []int{2, 3}, q)
	axes := b.Const("axes", models.Int32, []int{1}, []int32{1}, nil)
	prod := b.Tensor("prod", models.Int8, []int{2}, q)
	b.Op(ops.OpReduceProd, 2, []int{x, axes}, []int{prod}, build.Options{Type: build.OptReducer})
	b.Output(prod)
	add(b)

	// UNIQUE, then a segment sum keyed by its indices, then a dilation.
	b = build.New()
	v := b.Input("v", models.Int32, []int{5}, nil)
	u := b.Tensor("u", models.Int32, []int{5}, nil)
	idx := b.Tensor("idx", models.Int32, []int{5}, nil)
	b.Op(ops.OpUnique, 1, []int{v}, []int{u, idx}, build.Options{})
	data := b.Input("data", models.Float32, []int{5, 2}, nil)
	num := b.Const("num", models.Int32, []int{}, []int32{5}, nil)
	seg := b.Tensor("seg", models.Float32, []int{5, 2}, nil)
	b.Op(ops.OpUnsortedSegmentMax, 1, []int{data, idx, num}, []int{seg}, build.Options{})
	dil := b.Const("dil", models.Int32, []int{2}, []int32{2, 1}, nil)
	pad := b.Const("pad", models.Float32, []int{}, []float32{-1}, nil)
	d := b.Tensor("d", models.Float32, []int{9, 2}, nil)
	b.Op(ops.OpDilate, 1, []int{seg, dil, pad}, []int{d}, build.Options{})
	b.Output(u, d)
	add(b)

	// Non-max suppression feeding a sparse-to-dense mask.
	b = build.New()
	boxes := b.Input("boxes", models.Float32, []int{3, 4}, nil)
	scores := b.Input("scores", models.Float32, []int{3}, nil)
	m := b.Const("max", models.Int32, []int{}, []int32{2}, nil)
	iou := b.Const("iou", models.Float32, []int{}, []float32{0.5}, nil)
	st := b.Const("st", models.Float32, []int{}, []float32{0.1}, nil)
	sel := b.Tensor("sel", models.Int32, []int{2}, nil)
	cnt := b.Tensor("cnt", models.Int32, []int{}, nil)
	b.Op(ops.OpNonMaxSuppressionV4, 1, []int{boxes, scores, m, iou, st}, []int{sel, cnt}, build.Options{})
	shape := b.Const("shape", models.Int32, []int{1}, []int32{3}, nil)
	one := b.Const("one", models.Float32, []int{}, []float32{1}, nil)
	zero := b.Const("zero", models.Float32, []int{}, []float32{0}, nil)
	mask := b.Tensor("mask", models.Float32, []int{3}, nil)
	b.Op(ops.OpSparseToDense, 1, []int{sel, shape, one, zero}, []int{mask}, build.Options{})
	b.Output(mask, cnt)
	add(b)
	return append(out, stringOpsSeeds(t)...)
}

// TestNewOpsSeedsRun keeps the seeds meaningful: each loads and runs (with
// zeroed inputs) before the fuzzer mutates it.
func TestNewOpsSeedsRun(t *testing.T) {
	for i, data := range newOpsSeeds(t) {
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
