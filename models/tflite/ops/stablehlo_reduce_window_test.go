package ops_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

type shloRWCase struct {
	name                                      string
	in, init                                  ewtT
	body                                      ops.Op
	window, strides, baseDil, winDil, padding []int64
	shape                                     string
	want                                      []float64
}

func shloRWModel(c shloRWCase) *build.Builder {
	b := ewtModel(ops.OpStablehloReduceWindow, 1, build.Options{}, []ewtT{c.in, c.init}, ewtT{dt: c.in.dt, shape: []int{1}})
	opt := build.Options{Type: build.OptAdd}
	if c.body == ops.OpMaximum {
		opt = build.Options{Type: build.OptMaximumMinimum}
	}
	sg := scalarBody(b, c.in.dt, c.body, opt)
	b.SetOptions2(0, build.Opt2StablehloReduceWindow, []build.Field{
		{Slot: 0, Value: c.window}, {Slot: 1, Value: c.strides}, {Slot: 2, Value: c.baseDil},
		{Slot: 3, Value: c.winDil}, {Slot: 4, Value: c.padding}, {Slot: 5, Value: int32(sg)}})
	return b
}

func TestStablehloReduceWindow(t *testing.T) {
	for _, c := range []shloRWCase{
		// Sums of pairs of [1 2 3 4 5], defaults for everything else.
		{name: "pair sums", in: ewtT{dt: models.Float32, shape: []int{5}, vals: []float64{1, 2, 3, 4, 5}},
			init: ewtT{dt: models.Float32, shape: []int{}, vals: []float64{0}}, body: ops.OpAdd,
			window: []int64{2}, shape: "[4]", want: []float64{3, 5, 7, 9}},
		// Max over windows of 3, stride 2, of [1 5 2 7] padded by one
		// init_value (-100) each side: [-100 1 5] and [5 2 7].
		{name: "padded max", in: ewtT{dt: models.Int32, shape: []int{4}, vals: []float64{1, 5, 2, 7}},
			init: ewtT{dt: models.Int32, shape: []int{}, vals: []float64{-100}}, body: ops.OpMaximum,
			window: []int64{3}, strides: []int64{2}, padding: []int64{1, 1}, shape: "[2]", want: []float64{5, 7}},
		// [[1 2] [3 4]] with base dilation 2 on rows is [[1 2] [0 0] [3 4]]
		// (0 = init); a 2x1 window with row dilation 2 adds rows 0 and 2.
		{name: "dilations", in: ewtT{dt: models.Float32, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}},
			init: ewtT{dt: models.Float32, shape: []int{}, vals: []float64{0}}, body: ops.OpAdd,
			window: []int64{2, 1}, baseDil: []int64{2, 1}, winDil: []int64{2, 1}, shape: "[1 2]", want: []float64{4, 6}},
	} {
		ins := []ewtT{c.in, c.init}
		it, err := ewtLoad(t, shloRWModel(c))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := ewtInvoke(t, it, ins); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		info := it.Outputs()[0]
		if fmt.Sprint(info.Shape) != c.shape {
			t.Fatalf("%s: output shape %v, want %s", c.name, info.Shape, c.shape)
		}
		got := decode(info.DType, it.Output(0)[:ewtNumel(info.Shape)*info.DType.Size()])
		ewtCompare(t, "STABLEHLO_REDUCE_WINDOW "+c.name, info.Shape, got, c.want, 0)
		if allocs := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); allocs != 0 {
			t.Errorf("%s: Invoke allocates %v times", c.name, allocs)
		}
	}
}

func TestStablehloReduceWindowErrors(t *testing.T) {
	in := ewtT{dt: models.Float32, shape: []int{4}, vals: make([]float64, 4)}
	init := ewtT{dt: models.Float32, shape: []int{}, vals: []float64{0}}
	op := ops.OpStablehloReduceWindow
	for _, c := range []struct {
		c    shloRWCase
		want string
	}{
		{shloRWCase{in: in, init: init, body: ops.OpAdd}, "window_dimensions has 0 entries, want 1"},
		{shloRWCase{in: in, init: init, body: ops.OpAdd, window: []int64{0}}, "dimension 0: window 0, stride 1"},
		{shloRWCase{in: in, init: init, body: ops.OpAdd, window: []int64{2}, padding: []int64{1}}, "padding has 1 entries, want 2"},
		{shloRWCase{in: in, init: init, body: ops.OpAdd, window: []int64{2}, padding: []int64{-3, -3}}, "has size -2"},
		{shloRWCase{in: in, init: ewtT{dt: models.Int32, shape: []int{}, vals: []float64{0}}, body: ops.OpAdd, window: []int64{2}}, `init_value "in1" (int32 [])`},
	} {
		_, err := ewtLoad(t, shloRWModel(c.c))
		ewtWantErr(t, err, op, "node 0", c.want)
	}
}
