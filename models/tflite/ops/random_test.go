package ops_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func randomModel(t *testing.T, op ops.Op, seed, seed2 int64, shape []int) *tflite.Interpreter {
	t.Helper()
	b := build.New()
	s := b.Const("shape", models.Int32, []int{len(shape)}, func() []int32 {
		v := make([]int32, len(shape))
		for i, d := range shape {
			v[i] = int32(d)
		}
		return v
	}(), nil)
	out := b.Tensor("out", models.Float32, shape, nil)
	b.Op(op, 1, []int{s}, []int{out}, ewtOpt(build.OptRandom, seed, seed2))
	b.Output(out)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func randomRun(t *testing.T, it *tflite.Interpreter) []float64 {
	t.Helper()
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	return decode(models.Float32, it.Output(0))
}

func TestRandomUniformNormal(t *testing.T) {
	for _, op := range []ops.Op{ops.OpRandomUniform, ops.OpRandomStandardNormal} {
		a := randomModel(t, op, 42, 7, []int{64, 64})
		b := randomModel(t, op, 42, 7, []int{64, 64})
		c := randomModel(t, op, 43, 7, []int{64, 64})
		x, y, z := randomRun(t, a), randomRun(t, b), randomRun(t, c)
		if !slices.Equal(x, y) {
			t.Fatalf("%s: equal seeds gave different numbers", op)
		}
		if slices.Equal(x, z) {
			t.Fatalf("%s: different seeds gave the same numbers", op)
		}
		// The generator advances across invocations; Reset restarts it.
		x2 := randomRun(t, a)
		if slices.Equal(x, x2) {
			t.Fatalf("%s: second invocation repeated the first", op)
		}
		if err := a.Reset(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x, randomRun(t, a)) {
			t.Fatalf("%s: Reset did not restart the sequence", op)
		}
		// Moments of 4096 samples (deterministic for these seeds).
		mean, sq, lo, hi := 0.0, 0.0, math.Inf(1), math.Inf(-1)
		for _, v := range x {
			mean += v
			sq += v * v
			lo, hi = min(lo, v), max(hi, v)
		}
		mean /= float64(len(x))
		std := math.Sqrt(sq/float64(len(x)) - mean*mean)
		if op == ops.OpRandomUniform {
			if lo < 0 || hi >= 1 || math.Abs(mean-0.5) > 0.02 || math.Abs(std-math.Sqrt(1.0/12)) > 0.02 {
				t.Fatalf("uniform: range [%g, %g], mean %g, std %g", lo, hi, mean, std)
			}
		} else if math.Abs(mean) > 0.05 || math.Abs(std-1) > 0.05 {
			t.Fatalf("normal: mean %g, std %g", mean, std)
		}
		if allocs := testing.AllocsPerRun(10, func() { _ = a.Invoke(context.Background()) }); allocs != 0 {
			t.Errorf("%s: %v allocations per Invoke", op, allocs)
		}
	}
	// An odd size fills every element.
	odd := randomRun(t, randomModel(t, ops.OpRandomStandardNormal, 1, 2, []int{5}))
	if len(odd) != 5 || odd[4] == 0 {
		t.Fatalf("odd normal: %v", odd)
	}
}

func TestMultinomial(t *testing.T) {
	ninf := math.Inf(-1)
	for _, dt := range []models.DType{models.Int32, models.Int64} {
		b := build.New()
		logits := b.Input("logits", models.Float32, []int{3, 3}, nil)
		num := b.Const("num", models.Int32, []int{}, []int32{1000}, nil)
		out := b.Tensor("out", dt, []int{3, 1000}, nil)
		b.Op(ops.OpMultinomial, 1, []int{logits, num}, []int{out}, ewtOpt(build.OptRandom, int64(5), int64(6)))
		b.Output(out)
		it, err := ewtLoad(t, b)
		if err != nil {
			t.Fatal(err)
		}
		// Row 0 can only be class 0, row 1 only class 2 (the others are
		// -inf); row 2 is uniform over three classes.
		copy(it.Input(0), encode(models.Float32, []float64{0, ninf, ninf, ninf, ninf, 3, 1, 1, 1}))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := decode(dt, it.Output(0))
		var count [3]int
		for j := 0; j < 1000; j++ {
			if got[j] != 0 || got[1000+j] != 2 {
				t.Fatalf("%s: sample %d: rows 0 and 1 gave %v and %v", dt, j, got[j], got[1000+j])
			}
			count[int(got[2000+j])]++
		}
		for k, c := range count {
			if c < 280 || c > 390 {
				t.Fatalf("%s: uniform row drew class %d %d times of 1000", dt, k, c)
			}
		}
		if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); a != 0 {
			t.Errorf("%s: %v allocations per Invoke", dt, a)
		}
	}
	err := ewtErr(t, ops.OpMultinomial, 1, build.Options{}, []ewtT{{dt: models.Float32, shape: []int{3}, vals: []float64{1, 2, 3}}, {dt: models.Int32, shape: []int{}, vals: []float64{2}, konst: true}}, ewtT{dt: models.Int32, shape: []int{1, 2}})
	ewtWantErr(t, err, ops.OpMultinomial, "node 0", "must be 2-D float32")
}
