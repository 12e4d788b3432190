package ops_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// scalarBody appends a subgraph (a, b) -> op(a, b) on scalars of dt.
func scalarBody(b *build.Builder, dt models.DType, op ops.Op, opt build.Options) int {
	s := b.NewSubgraph("update " + op.String())
	x, y := s.Input("a", dt, []int{}, nil), s.Input("b", dt, []int{}, nil)
	z := s.Tensor("z", dt, []int{}, nil)
	s.Op(op, 1, []int{x, y}, []int{z}, opt)
	s.Output(z)
	return s.Index()
}

// shloScatterModel: operand, indices, updates -> STABLEHLO_SCATTER with
// body op (ADD or MUL).
func shloScatterModel(ins []ewtT, body ops.Op, window, inserted, toOperand []int64, ivd int64) *build.Builder {
	b := ewtModel(ops.OpStablehloScatter, 1, build.Options{}, ins, ewtT{dt: ins[0].dt, shape: ins[0].shape})
	opt := build.Options{Type: build.OptAdd}
	if body == ops.OpMul {
		opt = build.Options{Type: build.OptMul}
	}
	sg := scalarBody(b, ins[0].dt, body, opt)
	b.SetOptions2(0, build.Opt2StablehloScatter, []build.Field{
		{Slot: 1, Value: window}, {Slot: 2, Value: inserted}, {Slot: 3, Value: toOperand},
		{Slot: 4, Value: ivd}, {Slot: 6, Value: int32(sg)}})
	return b
}

func TestStablehloScatter(t *testing.T) {
	for _, c := range []struct {
		name                        string
		ins                         []ewtT
		body                        ops.Op
		window, inserted, toOperand []int64
		ivd                         int64
		want                        []float64
	}{
		// Points 0, 2, 0 and 7 of [1 2 3 4] add 10, 20, 30, 40: index 0 gets
		// both 10 and 30, index 7 lies outside and is skipped.
		{"add points", []ewtT{{dt: models.Float32, shape: []int{4}, vals: []float64{1, 2, 3, 4}},
			{dt: models.Int32, shape: []int{4, 1}, vals: []float64{0, 2, 0, 7}},
			{dt: models.Float32, shape: []int{4}, vals: []float64{10, 20, 30, 40}}},
			ops.OpAdd, nil, []int64{0}, []int64{0}, 1, []float64{41, 2, 23, 4}},
		// Row 1 of [[1 2 3] [4 5 6]] multiplied by a window [2 2 2]; int64
		// indices with an implicit index vector dimension.
		{"mul row", []ewtT{{dt: models.Int32, shape: []int{2, 3}, vals: []float64{1, 2, 3, 4, 5, 6}},
			{dt: models.Int64, shape: []int{1}, vals: []float64{1}},
			{dt: models.Int32, shape: []int{1, 3}, vals: []float64{2, 2, 2}}},
			ops.OpMul, []int64{1}, []int64{0}, []int64{0}, 1, []float64{1, 2, 3, 8, 10, 12}},
		// A 2x2 window at (1, 1) of a 3x3 zero grid: the window dims are
		// both operand dims, nothing inserted.
		{"window", []ewtT{{dt: models.Float32, shape: []int{3, 3}, vals: make([]float64, 9)},
			{dt: models.Int32, shape: []int{2}, vals: []float64{1, 1}},
			{dt: models.Float32, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}}},
			ops.OpAdd, []int64{0, 1}, nil, []int64{0, 1}, 0, []float64{0, 0, 0, 0, 1, 2, 0, 3, 4}},
	} {
		it, err := ewtLoad(t, shloScatterModel(c.ins, c.body, c.window, c.inserted, c.toOperand, c.ivd))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := ewtInvoke(t, it, c.ins); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		info := it.Outputs()[0]
		if fmt.Sprint(info.Shape) != fmt.Sprint(c.ins[0].shape) {
			t.Fatalf("%s: output shape %v", c.name, info.Shape)
		}
		got := decode(info.DType, it.Output(0)[:ewtNumel(info.Shape)*info.DType.Size()])
		ewtCompare(t, "STABLEHLO_SCATTER "+c.name, info.Shape, got, c.want, 0)
		if allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); allocs != 0 {
			t.Errorf("%s: Invoke allocates %v times", c.name, allocs)
		}
	}
}

func TestStablehloScatterErrors(t *testing.T) {
	ins := []ewtT{{dt: models.Float32, shape: []int{4}, vals: make([]float64, 4)},
		{dt: models.Int32, shape: []int{2, 1}, vals: []float64{0, 1}},
		{dt: models.Float32, shape: []int{2}, vals: []float64{1, 2}}}
	op := ops.OpStablehloScatter
	for _, c := range []struct {
		window, inserted, toOperand []int64
		ivd                         int64
		want                        string
	}{
		{nil, nil, []int64{0}, 1, "must together cover the operand's rank 1"},
		{nil, []int64{0}, []int64{0, 0}, 1, "scatter_dims_to_operand_dims has 2 entries, the index vectors 1"},
		{nil, []int64{0}, []int64{0}, 3, "index_vector_dim 3 is outside 0..2"},
		{[]int64{0}, nil, []int64{0}, 1, "updates \"in2\" has rank 1, want 1 scatter plus 1 window dimensions"},
	} {
		_, err := ewtLoad(t, shloScatterModel(ins, ops.OpAdd, c.window, c.inserted, c.toOperand, c.ivd))
		ewtWantErr(t, err, op, "node 0", c.want)
	}
	bad := append([]ewtT(nil), ins...)
	bad[2] = ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{1, 2}}
	b := ewtModel(op, 1, build.Options{}, bad, ewtT{dt: models.Float32, shape: []int{4}})
	_, err := ewtLoad(t, b)
	ewtWantErr(t, err, op, `updates "in2" (int32) must share one fixed-size type`)
	// The body must map two scalars of the operand type to one.
	b = ewtModel(op, 1, build.Options{}, ins, ewtT{dt: models.Float32, shape: []int{4}})
	sg := scalarBody(b, models.Int32, ops.OpAdd, build.Options{Type: build.OptAdd})
	b.SetOptions2(0, build.Opt2StablehloScatter, []build.Field{{Slot: 2, Value: []int64{0}}, {Slot: 3, Value: []int64{0}}, {Slot: 4, Value: int64(1)}, {Slot: 6, Value: int32(sg)}})
	_, err = ewtLoad(t, b)
	ewtWantErr(t, err, op, "update computation subgraph 1", "want a float32 scalar")
}
