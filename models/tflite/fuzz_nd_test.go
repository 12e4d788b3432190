package tflite_test

import (
	"context"

	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// spaceBatchNDSeeds are seed models for FuzzLoad and TestCorruptModels over
// FLOOR_DIV, FLOOR_MOD, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, GATHER_ND and
// SCATTER_ND, so mutations reach their shape and index checks.
func spaceBatchNDSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}

	// A dilated-convolution frame: space to batch, back, then floor
	// division and a coordinate gather.
	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 4, 4, 1}, nil)
	block := b.Const("block", models.Int32, []int{2}, []int32{2, 2}, nil)
	pads := b.Const("pads", models.Int32, []int{2, 2}, []int32{1, 1, 0, 0}, nil)
	s := b.Tensor("s2b", models.Float32, []int{4, 3, 2, 1}, nil)
	b.Op(ops.OpSpaceToBatchNd, 1, []int{x, block, pads}, []int{s}, build.Options{})
	back := b.Tensor("b2s", models.Float32, []int{1, 4, 4, 1}, nil)
	b.Op(ops.OpBatchToSpaceNd, 1, []int{s, block, pads}, []int{back}, build.Options{})
	two := b.Const("two", models.Float32, []int{1}, []float32{2}, nil)
	d := b.Tensor("div", models.Float32, []int{1, 4, 4, 1}, nil)
	b.Op(ops.OpFloorDiv, 1, []int{back, two}, []int{d}, build.Options{})
	idx := b.Const("idx", models.Int32, []int{2, 2}, []int32{0, 1, 0, 3}, nil)
	g := b.Tensor("g", models.Float32, []int{2, 4, 1}, nil)
	b.Op(ops.OpGatherNd, 1, []int{d, idx}, []int{g}, build.Options{})
	b.Output(g)
	add(b)

	// Integer scatter with a runtime index input, then a modulus.
	b = build.New()
	ix := b.Input("ix", models.Int32, []int{3, 1}, nil)
	upd := b.Const("upd", models.Int32, []int{3, 2}, []int32{7, -7, 5, 9, -3, 4}, nil)
	shape := b.Const("shape", models.Int32, []int{2}, []int32{4, 2}, nil)
	sc := b.Tensor("scatter", models.Int32, []int{4, 2}, nil)
	b.Op(ops.OpScatterNd, 1, []int{ix, upd, shape}, []int{sc}, build.Options{})
	m := b.Const("m", models.Int32, []int{2}, []int32{3, -4}, nil)
	r := b.Tensor("mod", models.Int32, []int{4, 2}, nil)
	b.Op(ops.OpFloorMod, 1, []int{sc, m}, []int{r}, build.Options{})
	b.Output(r)
	add(b)
	return out
}

// TestSpaceBatchNDSeedsRun checks the seeds load and run, so the fuzzer
// starts from models that reach Eval.
func TestSpaceBatchNDSeedsRun(t *testing.T) {
	for i, data := range spaceBatchNDSeeds(t) {
		it, err := tflite.Load(data, models.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("seed %d: invoke: %v", i, err)
		}
		it.Close()
	}
}
