package ops_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// shloGatherOpts is StablehloGatherOptions for builtin_options_2.
func shloGatherOpts(offset, collapsed, startMap []int64, ivd int64, sizes []int64) []build.Field {
	return []build.Field{{Slot: 0, Value: offset}, {Slot: 1, Value: collapsed}, {Slot: 2, Value: startMap},
		{Slot: 3, Value: ivd}, {Slot: 4, Value: sizes}}
}

// shloGatherLoad builds operand, start_indices -> STABLEHLO_GATHER.
func shloGatherLoad(t *testing.T, ins []ewtT, out ewtT, fields []build.Field) (*tflite.Interpreter, error) {
	b := ewtModel(ops.OpStablehloGather, 1, build.Options{}, ins, out)
	b.SetOptions2(0, build.Opt2StablehloGather, fields)
	return ewtLoad(t, b)
}

func TestStablehloGather(t *testing.T) {
	operand := []float64{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		name   string
		dt     models.DType
		opnd   ewtT
		idx    ewtT
		fields []build.Field
		shape  string
		want   []float64
	}{
		// Rows 2 and 0 of [[1 2] [3 4] [5 6]], as GATHER on axis 0: the
		// index vector dimension is implicit (index_vector_dim = rank 1).
		{"rows", models.Float32, ewtT{shape: []int{3, 2}, vals: operand},
			ewtT{dt: models.Int32, shape: []int{2}, vals: []float64{2, 0}},
			shloGatherOpts([]int64{1}, []int64{0}, []int64{0}, 1, []int64{1, 2}), "[2 2]", []float64{5, 6, 1, 2}},
		// The same with the window dimension first: out[o, b].
		{"offset first", models.Int8, ewtT{shape: []int{3, 2}, vals: operand},
			ewtT{dt: models.Int64, shape: []int{2}, vals: []float64{2, 0}},
			shloGatherOpts([]int64{0}, []int64{0}, []int64{0}, 1, []int64{1, 2}), "[2 2]", []float64{5, 1, 6, 2}},
		// Windows of 2 from [10 20 30 40]: start 3 is clamped to 2.
		{"clamped windows", models.Int32, ewtT{shape: []int{4}, vals: []float64{10, 20, 30, 40}},
			ewtT{dt: models.Int32, shape: []int{2, 1}, vals: []float64{3, 1}},
			shloGatherOpts([]int64{1}, nil, []int64{0}, 1, []int64{2}), "[2 2]", []float64{30, 40, 20, 30}},
		// Points of [[1 2 3] [4 5 6]] with start_index_map [1 0]: (1, 2)
		// reads column 1 of row 2, clamped to row 1 -> 5; (0, 0) -> 1.
		{"points", models.Float32, ewtT{shape: []int{2, 3}, vals: operand},
			ewtT{dt: models.Int64, shape: []int{2, 2}, vals: []float64{1, 2, 0, 0}},
			shloGatherOpts(nil, []int64{0, 1}, []int64{1, 0}, 1, []int64{1, 1}), "[2]", []float64{5, 1}},
		// index_vector_dim 0: the index vectors run down the first
		// dimension of [[0 1] [2 0]]: starts (0, 2) and (1, 0) of 1x2
		// windows of [[1 2 3] [4 5 6]], the first clamped to column 1.
		{"index vectors first", models.Float32, ewtT{shape: []int{2, 3}, vals: operand},
			ewtT{dt: models.Int32, shape: []int{2, 2}, vals: []float64{0, 1, 2, 0}},
			shloGatherOpts([]int64{1}, []int64{0}, []int64{0, 1}, 0, []int64{1, 2}), "[2 2]", []float64{2, 3, 4, 5}},
	} {
		c.opnd.dt = c.dt
		ins := []ewtT{c.opnd, c.idx}
		it, err := shloGatherLoad(t, ins, ewtT{dt: c.dt, shape: []int{1}}, c.fields)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := ewtInvoke(t, it, ins); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		info := it.Outputs()[0]
		if fmt.Sprint(info.Shape) != c.shape || info.DType != c.dt {
			t.Fatalf("%s: output %s %v, want %s %s", c.name, info.DType, info.Shape, c.dt, c.shape)
		}
		got := decode(info.DType, it.Output(0)[:ewtNumel(info.Shape)*info.DType.Size()])
		ewtCompare(t, "STABLEHLO_GATHER "+c.name, info.Shape, got, c.want, 0)
		if allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); allocs != 0 {
			t.Errorf("%s: Invoke allocates %v times", c.name, allocs)
		}
	}
}

func TestStablehloGatherErrors(t *testing.T) {
	ins := []ewtT{{dt: models.Float32, shape: []int{3, 2}, vals: make([]float64, 6)}, {dt: models.Int32, shape: []int{2}, vals: []float64{0, 1}}}
	out := ewtT{dt: models.Float32, shape: []int{2, 2}}
	op := ops.OpStablehloGather
	for _, c := range []struct {
		fields []build.Field
		want   string
	}{
		{shloGatherOpts([]int64{1}, []int64{0}, []int64{0}, 1, []int64{1}), "slice_sizes has 1 entries for a rank-2 operand"},
		{shloGatherOpts([]int64{1}, []int64{0}, []int64{0}, 1, []int64{1, 3}), "slice_sizes[1] is 3, larger than operand dimension 2"},
		{shloGatherOpts([]int64{1}, []int64{1}, []int64{0}, 1, []int64{1, 2}), "dimension 1 has slice size 2, want 1"},
		{shloGatherOpts([]int64{1}, []int64{0}, []int64{0, 1}, 1, []int64{1, 2}), "start_index_map has 2 entries, the index vectors 1"},
		{shloGatherOpts([]int64{1}, []int64{0}, []int64{0}, 2, []int64{1, 2}), "index_vector_dim 2 is outside 0..1"},
		{shloGatherOpts([]int64{5}, []int64{0}, []int64{0}, 1, []int64{1, 2}), "offset_dims [5] must be increasing output dimensions below 2"},
		{shloGatherOpts(nil, []int64{0}, []int64{0}, 1, []int64{1, 2}), "offset_dims has 0 entries, want 1"},
	} {
		_, err := shloGatherLoad(t, ins, out, c.fields)
		ewtWantErr(t, err, op, "node 0", c.want)
	}
	bad := []ewtT{ins[0], {dt: models.Float32, shape: []int{2}, vals: []float64{0, 1}}}
	_, err := shloGatherLoad(t, bad, out, shloGatherOpts([]int64{1}, []int64{0}, []int64{0}, 1, []int64{1, 2}))
	ewtWantErr(t, err, op, `start_indices "in1": type float32 is not supported`)
}
