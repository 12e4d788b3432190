package tflite_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// addBody appends a subgraph of two float32 scalars to their sum: the
// body of scatter and reduce_window seeds.
func addBody(b *build.Builder) int32 {
	s := b.NewSubgraph("body")
	p, q := s.Input("p", models.Float32, []int{}, nil), s.Input("q", models.Float32, []int{}, nil)
	r := s.Tensor("r", models.Float32, []int{}, nil)
	s.Op(ops.OpAdd, 1, []int{p, q}, []int{r}, build.Options{Type: build.OptAdd})
	s.Output(r)
	return int32(s.Index())
}

// stablehloSeeds are FuzzLoad seeds for the StableHLO operators whose
// options live in builtin_options_2 and that call subgraphs: COMPOSITE,
// CASE, GATHER, SCATTER and REDUCE_WINDOW, each on x of shape [4].
func stablehloSeeds(t testing.TB) [][]byte {
	var out [][]byte
	model := func(op ops.Op, typ build.Option2Type, extra func(b *build.Builder) ([]int, []build.Field)) {
		b := build.New()
		x := b.Input("x", models.Float32, []int{4}, nil)
		ins, fields := extra(b)
		y := b.Tensor("y", models.Float32, []int{4}, nil)
		o := b.Op(op, 1, append([]int{x}, ins...), []int{y}, build.Options{})
		b.SetOptions2(o, typ, fields)
		b.Output(y)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	double := func(b *build.Builder) ([]int, []build.Field) {
		s := b.NewSubgraph("decomposition")
		p := s.Input("p", models.Float32, []int{4}, nil)
		r := s.Tensor("r", models.Float32, []int{4}, nil)
		s.Op(ops.OpAdd, 1, []int{p, p}, []int{r}, build.Options{Type: build.OptAdd})
		s.Output(r)
		return nil, []build.Field{{Slot: 0, Value: "seed.double"}, {Slot: 1, Value: int32(s.Index())}}
	}
	model(ops.OpStablehloComposite, build.Opt2StableHLOComposite, double)
	model(ops.OpStablehloGather, build.Opt2StablehloGather, func(b *build.Builder) ([]int, []build.Field) {
		idx := b.Const("idx", models.Int32, []int{4, 1}, []int32{3, 2, 1, 0}, nil)
		return []int{idx}, []build.Field{{Slot: 1, Value: []int64{0}}, {Slot: 2, Value: []int64{0}},
			{Slot: 3, Value: int64(1)}, {Slot: 4, Value: []int64{1}}}
	})
	model(ops.OpStablehloScatter, build.Opt2StablehloScatter, func(b *build.Builder) ([]int, []build.Field) {
		idx := b.Const("idx", models.Int32, []int{2, 1}, []int32{0, 3}, nil)
		upd := b.Const("upd", models.Float32, []int{2}, []float32{10, 20}, nil)
		return []int{idx, upd}, []build.Field{{Slot: 2, Value: []int64{0}}, {Slot: 3, Value: []int64{0}},
			{Slot: 4, Value: int64(1)}, {Slot: 6, Value: addBody(b)}}
	})
	model(ops.OpStablehloReduceWindow, build.Opt2StablehloReduceWindow, func(b *build.Builder) ([]int, []build.Field) {
		init := b.Const("init", models.Float32, []int{}, []float32{0}, nil)
		return []int{init}, []build.Field{{Slot: 0, Value: []int64{2}}, {Slot: 4, Value: []int64{0, 1}}, {Slot: 5, Value: addBody(b)}}
	})

	b := build.New()
	i := b.Input("i", models.Int32, []int{}, nil)
	x := b.Input("x", models.Float32, []int{4}, nil)
	y := b.Tensor("y", models.Float32, []int{4}, nil)
	o := b.Op(ops.OpStablehloCase, 1, []int{i, x}, []int{y}, build.Options{})
	var branches []int32
	for _, op := range []ops.Op{ops.OpAdd, ops.OpMul} {
		s := b.NewSubgraph(op.String())
		p := s.Input("p", models.Float32, []int{4}, nil)
		r := s.Tensor("r", models.Float32, []int{4}, nil)
		opt := build.Options{Type: build.OptAdd}
		if op == ops.OpMul {
			opt = build.Options{Type: build.OptMul}
		}
		s.Op(op, 1, []int{p, p}, []int{r}, opt)
		s.Output(r)
		branches = append(branches, int32(s.Index()))
	}
	b.SetOptions2(o, build.Opt2StablehloCase, []build.Field{{Slot: 0, Value: branches}})
	b.Output(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return append(out, data)
}

// TestStablehloSeedsRun: every seed loads and computes x = [1 2 3 4]
// through its operator as expected.
func TestStablehloSeedsRun(t *testing.T) {
	want := [][]float32{
		{2, 4, 6, 8},   // COMPOSITE: x + x
		{4, 3, 2, 1},   // GATHER: reversed
		{11, 2, 3, 24}, // SCATTER: +10 at 0, +20 at 3
		{3, 5, 7, 4},   // REDUCE_WINDOW: pair sums, padded high by 1
		{1, 4, 9, 16},  // CASE with index 1: x * x
	}
	for k, data := range stablehloSeeds(t) {
		it, err := tflite.Load(data, models.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", k, err)
		}
		in := 0
		if k == 4 {
			copy(it.Input(0), []byte{1, 0, 0, 0}) // the CASE index
			in = 1
		}
		copy(models.Float32s(it.Input(in)), []float32{1, 2, 3, 4})
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatalf("seed %d: %v", k, err)
		}
		got := models.Float32s(it.Output(0))
		for j := range want[k] {
			if got[j] != want[k][j] {
				t.Errorf("seed %d: got %v, want %v", k, got, want[k])
				break
			}
		}
		it.Close()
	}
}
