package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// addSubgraph appends a subgraph (a, b) -> a+b (float32 [2]).
func addSubgraph(b *build.Builder, name string) int {
	s := b.NewSubgraph(name)
	x, y := s.Input("a", models.Float32, []int{2}, nil), s.Input("b", models.Float32, []int{2}, nil)
	z := s.Tensor("sum", models.Float32, []int{2}, nil)
	s.Op(ops.OpAdd, 1, []int{x, y}, []int{z}, build.Options{Type: build.OptAdd})
	s.Output(z)
	return s.Index()
}

// mulSubgraph appends a subgraph (a, b) -> a*b (float32 [2]).
func mulSubgraph(b *build.Builder, name string) int {
	s := b.NewSubgraph(name)
	x, y := s.Input("a", models.Float32, []int{2}, nil), s.Input("b", models.Float32, []int{2}, nil)
	z := s.Tensor("product", models.Float32, []int{2}, nil)
	s.Op(ops.OpMul, 1, []int{x, y}, []int{z}, build.Options{Type: build.OptMul})
	s.Output(z)
	return s.Index()
}

// compositeModel: y = COMPOSITE "test.add"(a, b) decomposed into subgraph
// decomp, with the options in builtin_options_2 as converters write them.
func compositeModel(decomp int32) *build.Builder {
	b := build.New()
	a := b.Input("a", models.Float32, []int{2}, nil)
	x := b.Input("b", models.Float32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{2}, nil)
	op := b.Op(ops.OpStablehloComposite, 1, []int{a, x}, []int{y}, build.Options{})
	b.SetOptions2(op, build.Opt2StableHLOComposite, []build.Field{
		{Slot: 0, Value: "test.add"}, {Slot: 1, Value: decomp}, {Slot: 4, Value: int32(1)}})
	b.Output(y)
	addSubgraph(b, "decomposition")
	return b
}

func TestStablehloComposite(t *testing.T) {
	it := mustLoadControl(t, compositeModel(1))
	setInputs(t, it, encode(models.Float32, []float64{1, 2}), encode(models.Float32, []float64{10, -20}))
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	expectOutput(t, it, 0, []int{2}, []float64{11, -18})
	if allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); allocs != 0 {
		t.Errorf("Invoke allocates %v times", allocs)
	}

	_, err := loadControl(t, compositeModel(5))
	expectErr(t, err, "STABLEHLO_COMPOSITE", "decomposition 0 subgraph 5")
	b := compositeModel(1)
	b.SetOptions2(0, build.Opt2StableHLOComposite, []build.Field{{Slot: 0, Value: "test.add"}})
	_, err = loadControl(t, b)
	expectErr(t, err, "STABLEHLO_COMPOSITE", "name no decomposition subgraph")
}

// caseModel: y = CASE(index, a, b) over branches add, mul.
func caseModel(indexType models.DType, branches []int32) *build.Builder {
	b := build.New()
	i := b.Input("index", indexType, []int{}, nil)
	a := b.Input("a", models.Float32, []int{2}, nil)
	x := b.Input("b", models.Float32, []int{2}, nil)
	y := b.Tensor("y", models.Float32, []int{2}, nil)
	op := b.Op(ops.OpStablehloCase, 1, []int{i, a, x}, []int{y}, build.Options{})
	b.SetOptions2(op, build.Opt2StablehloCase, []build.Field{{Slot: 0, Value: branches}})
	b.Output(y)
	addSubgraph(b, "add")
	mulSubgraph(b, "mul")
	return b
}

func TestStablehloCase(t *testing.T) {
	it := mustLoadControl(t, caseModel(models.Int32, []int32{1, 2}))
	ctx := context.Background()
	// Index 0 adds, 1 multiplies; -1 and 7 are outside and run the last
	// branch, as StableHLO's case does.
	for _, c := range []struct {
		index float64
		want  []float64
	}{{0, []float64{4, 7}}, {1, []float64{3, 10}}, {-1, []float64{3, 10}}, {7, []float64{3, 10}}, {0, []float64{4, 7}}} {
		setInputs(t, it, encode(models.Int32, []float64{c.index}), encode(models.Float32, []float64{1, 2}), encode(models.Float32, []float64{3, 5}))
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		expectOutput(t, it, 0, []int{2}, c.want)
	}
	if allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); allocs != 0 {
		t.Errorf("Invoke allocates %v times", allocs)
	}

	_, err := loadControl(t, caseModel(models.Float32, []int32{1, 2}))
	expectErr(t, err, "STABLEHLO_CASE", "index must be a single int32")
	_, err = loadControl(t, caseModel(models.Int32, nil))
	expectErr(t, err, "STABLEHLO_CASE", "branch_subgraph_indices is empty")
	_, err = loadControl(t, caseModel(models.Int32, []int32{1, 9}))
	expectErr(t, err, "STABLEHLO_CASE", "branch 1 subgraph 9")
	_, err = loadControl(t, caseModel(models.Int32, []int32{1, 0}))
	expectErr(t, err, "STABLEHLO_CASE", "branch 1 subgraph 0", "cannot call itself")
}
