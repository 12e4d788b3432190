package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func refGather(x []float64, shape []int, idx []int, idxShape []int, axis, bd int) ([]float64, []int) {
	var out []int
	out = append(out, shape[:axis]...)
	out = append(out, idxShape[bd:]...)
	out = append(out, shape[axis+1:]...)
	y := make([]float64, numel(out))
	ni := len(idxShape) - bd
	for k := range y {
		ix := unravel(k, out)
		iix := append(append([]int(nil), ix[:bd]...), ix[axis:axis+ni]...)
		src := append(append(append([]int(nil), ix[:axis]...), idx[ravel(iix, idxShape)]), ix[axis+ni:]...)
		y[k] = x[ravel(src, shape)]
	}
	return y, out
}

func buildGather(dt, it models.DType, shape, idxShape []int, axis, bd int) *build.Builder {
	b := build.New()
	x := b.Input("params", dt, shape, nil)
	i := b.Input("indices", it, idxShape, nil)
	y := b.Tensor("y", dt, []int{1}, nil)
	b.Op(ops.OpGather, 1, []int{x, i}, []int{y}, opts(build.OptGather, int32(axis), int32(bd)))
	b.Output(y)
	return b
}

func TestGather(t *testing.T) {
	cases := []struct {
		shape, idxShape []int
		idx             []int
		axis, bd        int
	}{
		{[]int{5, 3}, []int{4}, []int{4, 0, 0, 2}, 0, 0},
		{[]int{5, 3}, []int{}, []int{3}, 0, 0},
		{[]int{2, 5, 3}, []int{2, 2}, []int{1, 4, 0, 3}, 1, 0},
		{[]int{2, 5, 3}, []int{3}, []int{2, 0, 1}, -1, 0},
		{[]int{2, 4, 3}, []int{2, 3}, []int{3, 0, 1, 2, 2, 0}, 1, 1},
		{[]int{2, 3, 4, 2}, []int{2, 3, 2}, []int{0, 3, 1, 1, 2, 2, 3, 3, 0, 0, 1, 2}, 2, 2},
		{[]int{3, 2}, []int{0}, nil, 0, 0},
	}
	for _, dt := range moveTypes {
		for _, idt := range []models.DType{models.Int32, models.Int64, models.Int16} {
			for _, tc := range cases {
				axis := tc.axis
				if axis < 0 {
					axis += len(tc.shape)
				}
				x := seq(dt, numel(tc.shape))
				want, shape := refGather(x, tc.shape, tc.idx, tc.idxShape, axis, tc.bd)
				idx := make([]float64, len(tc.idx))
				for i, v := range tc.idx {
					idx[i] = float64(v)
				}
				it := run(t, buildGather(dt, idt, tc.shape, tc.idxShape, tc.axis, tc.bd), encode(dt, x), encode(idt, idx))
				expectOutput(t, it, 0, shape, want)
			}
		}
	}
}

func TestGatherIndexErrors(t *testing.T) {
	it := load(t, buildGather(models.Float32, models.Int32, []int{5, 2}, []int{3}, 0, 0))
	x := encode(models.Float32, seq(models.Float32, 10))
	for _, tc := range []struct {
		idx  []float64
		frag string
	}{
		{[]float64{0, 5, 1}, "index 5 at position 1 is out of range [0, 5)"},
		{[]float64{-1, 0, 1}, "index -1 at position 0"},
	} {
		setInputs(t, it, x, encode(models.Int32, tc.idx))
		expectErr(t, it.Invoke(context.Background()), "GATHER", tc.frag)
	}
	// A good invocation still works afterwards.
	setInputs(t, it, x, encode(models.Int32, []float64{4, 0, 4}))
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectErr(t, loadErr(t, buildGather(models.Float32, models.Int32, []int{2, 5}, []int{2, 2}, 0, 1)), "GATHER", "batch_dims")
	expectErr(t, loadErr(t, buildGather(models.Float32, models.Float32, []int{2, 5}, []int{2}, 0, 0)), "GATHER", "indices must be")
	expectErr(t, loadErr(t, buildGather(models.Float32, models.Int32, []int{2, 5}, []int{2}, 2, 0)), "GATHER", "out of range")
	expectErr(t, loadErr(t, buildGather(models.Float32, models.Int32, []int{2, 5}, []int{3, 2}, 1, 1)), "GATHER", "batch dimension 0")
}
