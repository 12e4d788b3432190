package ops_test

import (
	"math/rand"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func refTranspose(x []float64, shape, perm []int) ([]float64, []int) {
	out := make([]int, len(shape))
	for i, p := range perm {
		out[i] = shape[p]
	}
	y := make([]float64, numel(out))
	src := make([]int, len(shape))
	for k := range y {
		ix := unravel(k, out)
		for i, p := range perm {
			src[p] = ix[i]
		}
		y[k] = x[ravel(src, shape)]
	}
	return y, out
}

func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []struct{ shape, perm []int }{
		{[]int{5}, []int{0}},
		{[]int{3, 4}, []int{1, 0}},
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{1, 7, 1, 5}, []int{0, 3, 1, 2}},
		{[]int{2, 3, 1, 4, 2}, []int{4, 2, 0, 3, 1}},
		{[]int{2, 2, 3, 1, 2, 3}, []int{5, 4, 3, 2, 1, 0}},
		{[]int{3, 0, 2}, []int{2, 1, 0}},
	}
	for r := 2; r <= 6; r++ {
		shape := make([]int, r)
		for i := range shape {
			shape[i] = 1 + rng.Intn(4)
		}
		cases = append(cases, struct{ shape, perm []int }{shape, rng.Perm(r)})
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			x := seq(dt, numel(tc.shape))
			want, outShape := refTranspose(x, tc.shape, tc.perm)
			perm := append([]int(nil), tc.perm...)
			if len(perm) > 1 {
				perm[0] -= len(perm) // negative entries count from the end
			}
			b := unary(dt, tc.shape, outShape, ops.OpTranspose, 1, build.Options{}, constI32("perm", []int{len(perm)}, perm...))
			expectOutput(t, run(t, b, encode(dt, x)), 0, outShape, want)
		}
	}
}

func TestTransposeDynamicPerm(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.Int16, []int{2, 3, 4}, nil)
	p := b.Input("perm", models.Int32, []int{3}, nil)
	y := b.Tensor("y", models.Int16, []int{24}, nil)
	b.Op(ops.OpTranspose, 1, []int{x, p}, []int{y}, build.Options{})
	b.Output(y)
	it := load(t, b)
	xv := seq(models.Int16, 24)
	for _, perm := range [][]int{{1, 2, 0}, {2, 1, 0}, {0, 1, 2}} {
		setInputs(t, it, encode(models.Int16, xv), encode(models.Int32, []float64{float64(perm[0]), float64(perm[1]), float64(perm[2])}))
		if err := it.Invoke(t.Context()); err != nil {
			t.Fatal(err)
		}
		want, shape := refTranspose(xv, []int{2, 3, 4}, perm)
		expectOutput(t, it, 0, shape, want)
	}
	setInputs(t, it, encode(models.Int16, xv), encode(models.Int32, []float64{1, 1, 0}))
	expectErr(t, it.Invoke(t.Context()), "TRANSPOSE", "repeats")
}

func TestTransposeErrors(t *testing.T) {
	for _, tc := range []struct {
		perm []int
		frag string
	}{
		{[]int{0, 0, 1}, "repeats"},
		{[]int{0, 1, 3}, "out of range"},
		{[]int{0, 1}, "want [3]"},
	} {
		b := unary(models.Float32, []int{2, 3, 4}, []int{24}, ops.OpTranspose, 1, build.Options{}, constI32("perm", []int{len(tc.perm)}, tc.perm...))
		expectErr(t, loadErr(t, b), "TRANSPOSE", tc.frag)
	}
}

func refTile(x []float64, shape, mult []int) ([]float64, []int) {
	out := make([]int, len(shape))
	for i := range shape {
		out[i] = shape[i] * mult[i]
	}
	y := make([]float64, numel(out))
	src := make([]int, len(shape))
	for k := range y {
		ix := unravel(k, out)
		for i := range ix {
			src[i] = ix[i] % shape[i]
		}
		y[k] = x[ravel(src, shape)]
	}
	return y, out
}

func TestTile(t *testing.T) {
	cases := []struct{ shape, mult []int }{
		{[]int{3}, []int{4}},
		{[]int{2, 3}, []int{1, 1}},
		{[]int{2, 3}, []int{3, 2}},
		{[]int{1, 2, 3}, []int{2, 1, 3}},
		{[]int{2, 1, 3, 2}, []int{1, 5, 1, 2}},
		{[]int{2, 3}, []int{0, 2}},
		{[]int{}, []int{}},
	}
	for _, dt := range moveTypes {
		for _, tc := range cases {
			x := seq(dt, numel(tc.shape))
			want, outShape := refTile(x, tc.shape, tc.mult)
			b := unary(dt, tc.shape, outShape, ops.OpTile, 1, build.Options{}, constI32("multiples", []int{len(tc.mult)}, tc.mult...))
			expectOutput(t, run(t, b, encode(dt, x)), 0, outShape, want)
		}
	}
	// int64 multiples.
	b := unary(models.Float32, []int{2, 2}, []int{4, 6}, ops.OpTile, 1, build.Options{}, func(s *build.Subgraph) int {
		return s.Const("multiples", models.Int64, []int{2}, []int64{2, 3}, nil)
	})
	x := seq(models.Float32, 4)
	want, shape := refTile(x, []int{2, 2}, []int{2, 3})
	expectOutput(t, run(t, b, encode(models.Float32, x)), 0, shape, want)

	b = unary(models.Float32, []int{2, 2}, []int{4}, ops.OpTile, 1, build.Options{}, constI32("multiples", []int{2}, 2, -1))
	expectErr(t, loadErr(t, b), "TILE", "negative")
	b = unary(models.Float32, []int{2, 2}, []int{4}, ops.OpTile, 1, build.Options{}, constI32("multiples", []int{2}, 1<<30, 1<<30))
	expectErr(t, loadErr(t, b), "TILE")
}

func TestTileDynamicMultiples(t *testing.T) {
	b := build.New()
	x := b.Input("x", models.UInt8, []int{2, 3}, nil)
	m := b.Input("m", models.Int32, []int{2}, nil)
	y := b.Tensor("y", models.UInt8, []int{6}, nil)
	b.Op(ops.OpTile, 1, []int{x, m}, []int{y}, build.Options{})
	b.Output(y)
	it := load(t, b)
	xv := seq(models.UInt8, 6)
	for _, mult := range [][]int{{2, 2}, {1, 3}, {3, 1}} {
		setInputs(t, it, encode(models.UInt8, xv), encode(models.Int32, []float64{float64(mult[0]), float64(mult[1])}))
		if err := it.Invoke(t.Context()); err != nil {
			t.Fatal(err)
		}
		want, shape := refTile(xv, []int{2, 3}, mult)
		expectOutput(t, it, 0, shape, want)
	}
}
