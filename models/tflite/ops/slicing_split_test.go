package ops_test

import (
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refSplit cuts x along axis into parts of the given sizes.
func refSplit(x []float64, shape []int, axis int, sizes []int) ([][]float64, [][]int) {
	var outs [][]float64
	var shapes [][]int
	off := 0
	for _, sz := range sizes {
		s := append([]int(nil), shape...)
		s[axis] = sz
		y := make([]float64, numel(s))
		for k := range y {
			ix := unravel(k, s)
			ix[axis] += off
			y[k] = x[ravel(ix, shape)]
		}
		outs, shapes = append(outs, y), append(shapes, s)
		off += sz
	}
	return outs, shapes
}

func buildSplit(dt models.DType, shape []int, axis int, sizes []int, v bool) *build.Builder {
	b := build.New()
	x := b.Input("x", dt, shape, nil)
	ax := b.Const("axis", models.Int32, []int{}, i32s(axis), nil)
	var outs []int
	for range sizes {
		outs = append(outs, b.Tensor("y", dt, []int{1}, nil))
	}
	if v {
		ss := b.Const("size_splits", models.Int32, []int{len(sizes)}, i32s(sizes...), nil)
		b.Op(ops.OpSplitV, 1, []int{x, ss, ax}, outs, opts(build.OptSplitV, int32(len(sizes))))
	} else {
		b.Op(ops.OpSplit, 1, []int{ax, x}, outs, opts(build.OptSplit, int32(len(sizes))))
	}
	b.Output(outs...)
	return b
}

func TestSplit(t *testing.T) {
	cases := []struct {
		shape []int
		axis  int
		num   int
	}{
		{[]int{6}, 0, 3}, {[]int{2, 6}, 1, 2}, {[]int{2, 6}, -1, 6}, {[]int{4, 3, 2}, 0, 2}, {[]int{1, 3, 4, 2}, 2, 4}, {[]int{3, 2}, 0, 1},
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shape)
			}
			sizes := make([]int, tc.num)
			for i := range sizes {
				sizes[i] = tc.shape[axis] / tc.num
			}
			x := seq(dt, numel(tc.shape))
			want, shapes := refSplit(x, tc.shape, axis, sizes)
			it := run(t, buildSplit(dt, tc.shape, tc.axis, sizes, false), encode(dt, x))
			for i := range want {
				expectOutput(t, it, i, shapes[i], want[i])
			}
		}
	}
	expectErr(t, loadErr(t, buildSplit(models.Float32, []int{2, 5}, 1, []int{2, 2}, false)), "SPLIT", "equal parts")
	expectErr(t, loadErr(t, buildSplit(models.Float32, []int{2, 4}, 2, []int{2, 2}, false)), "SPLIT", "out of range")
}

func TestSplitV(t *testing.T) {
	cases := []struct {
		shape []int
		axis  int
		sizes []int
	}{
		{[]int{6}, 0, []int{1, 2, 3}},
		{[]int{2, 7}, 1, []int{3, -1, 0}},
		{[]int{5, 2, 3}, 0, []int{-1, 4}},
		{[]int{2, 3, 5}, -1, []int{2, 2, 1}},
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shape)
			}
			sizes := append([]int(nil), tc.sizes...)
			rest := tc.shape[axis]
			for _, s := range sizes {
				if s > 0 {
					rest -= s
				}
			}
			for i, s := range sizes {
				if s == -1 {
					sizes[i] = rest
				}
			}
			x := seq(dt, numel(tc.shape))
			want, shapes := refSplit(x, tc.shape, axis, sizes)
			it := run(t, buildSplit(dt, tc.shape, tc.axis, tc.sizes, true), encode(dt, x))
			for i := range want {
				expectOutput(t, it, i, shapes[i], want[i])
			}
		}
	}
	for _, tc := range []struct {
		sizes []int
		frag  string
	}{
		{[]int{2, 2}, "do not add up"},
		{[]int{-1, -1}, "more than one -1"},
		{[]int{7, -1}, "exceed"},
		{[]int{-2, 8}, "negative"},
	} {
		expectErr(t, loadErr(t, buildSplit(models.Float32, []int{2, 6}, 1, tc.sizes, true)), "SPLIT_V", tc.frag)
	}
}

// TestSplitDynamicAxis gives the axis at run time: the outputs are dynamic.
func TestSplitDynamicAxis(t *testing.T) {
	b := build.New()
	ax := b.Input("axis", models.Int32, []int{}, nil)
	x := b.Input("x", models.Int32, []int{2, 4}, nil)
	y0, y1 := b.Tensor("a", models.Int32, []int{1}, nil), b.Tensor("b", models.Int32, []int{1}, nil)
	b.Op(ops.OpSplit, 1, []int{ax, x}, []int{y0, y1}, opts(build.OptSplit, int32(2)))
	b.Output(y0, y1)
	it := load(t, b)
	xv := seq(models.Int32, 8)
	for _, axis := range []int{0, 1, -1} {
		setInputs(t, it, encode(models.Int32, []float64{float64(axis)}), encode(models.Int32, xv))
		if err := it.Invoke(t.Context()); err != nil {
			t.Fatal(err)
		}
		a := (axis + 2) % 2
		want, shapes := refSplit(xv, []int{2, 4}, a, []int{[]int{2, 4}[a] / 2, []int{2, 4}[a] / 2})
		expectOutput(t, it, 0, shapes[0], want[0])
		expectOutput(t, it, 1, shapes[1], want[1])
	}
}
