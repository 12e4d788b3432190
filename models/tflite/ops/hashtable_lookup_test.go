package ops_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// htModel is a HASHTABLE_LOOKUP model with constant keys and values.
func htModel(t *testing.T, dt models.DType, keys []int32, vshape []int, vals []float64, nLookup int) (*tflite.Interpreter, error) {
	t.Helper()
	b := build.New()
	lookup := b.Input("lookup", models.Int32, []int{nLookup}, nil)
	k := b.Const("keys", models.Int32, []int{len(keys)}, keys, nil)
	v := b.Const("vals", dt, vshape, build.Raw(encode(dt, vals)), nil)
	oshape := append([]int{nLookup}, vshape[1:]...)
	out := b.Tensor("out", dt, oshape, nil)
	hits := b.Tensor("hits", models.UInt8, []int{nLookup}, nil)
	b.Op(ops.OpHashtableLookup, 1, []int{lookup, k, v}, []int{out, hits}, build.Options{})
	b.Output(out)
	b.Output(hits)
	return ewtLoad(t, b)
}

func TestHashtableLookup(t *testing.T) {
	// Keys [-1, 0, 5, 7] with rows [10,11], [20,21], [30,31], [40,41];
	// lookups [5, 1, -1, 7] hit, miss (zeros), hit, hit.
	ctx := context.Background()
	for _, dt := range []models.DType{models.Float32, models.Int32, models.UInt8, models.Int64} {
		it, err := htModel(t, dt, []int32{-1, 0, 5, 7}, []int{4, 2}, []float64{10, 11, 20, 21, 30, 31, 40, 41}, 4)
		if err != nil {
			t.Fatal(err)
		}
		copy(it.Input(0), encode(models.Int32, []float64{5, 1, -1, 7}))
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		ewtCompare(t, "values "+dt.String(), []int{4, 2}, decode(dt, it.Output(0)[:8*dt.Size()]), []float64{30, 31, 0, 0, 10, 11, 40, 41}, 0)
		ewtCompare(t, "hits "+dt.String(), []int{4}, decode(models.UInt8, it.Output(1)[:4]), []float64{1, 0, 1, 1}, 0)
		if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
			t.Errorf("%v allocations per Invoke", a)
		}
	}
	// TFLite compares by the wrapping int32 difference: looking up 2^31-1
	// among [-2^31, -1, 2^31-1] computes 2^31-1 - (-1), which wraps
	// negative, so the search goes left and misses a present key; -1 hits.
	it, err := htModel(t, models.Float32, []int32{-2147483648, -1, 2147483647}, []int{3}, []float64{1, 2, 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), encode(models.Int32, []float64{2147483647, -1}))
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "wrap hits", []int{2}, decode(models.UInt8, it.Output(1)[:2]), []float64{0, 1}, 0)
	ewtCompare(t, "wrap values", []int{2}, decode(models.Float32, it.Output(0)[:8]), []float64{0, 2}, 0)

	_, err = htModel(t, models.Float32, []int32{1, 2}, []int{3}, []float64{1, 2, 3}, 1)
	ewtWantErr(t, err, ops.OpHashtableLookup, "node 0", "must have 2 rows")
	err = ewtErr(t, ops.OpHashtableLookup, 1, build.Options{}, []ewtT{{dt: models.Int32, shape: []int{1}, vals: []float64{1}}}, ewtT{dt: models.Float32, shape: []int{1}})
	ewtWantErr(t, err, ops.OpHashtableLookup, "takes 3 inputs and 2 outputs")
}

func TestHashtableLookupStrings(t *testing.T) {
	// Keys [2, 4, 9] -> "two", "", "nine"; lookups [9, 3, 2, 4] give
	// "nine", "" (miss), "two", "" (hit on an empty string).
	ctx := context.Background()
	b := build.New()
	lookup := b.Input("lookup", models.Int32, []int{4}, nil)
	k := b.Const("keys", models.Int32, []int{3}, []int32{2, 4, 9}, nil)
	v := b.Const("vals", models.String, []int{3}, build.Strings("two", "", "nine"), nil)
	out := b.Tensor("out", models.String, []int{4}, nil)
	hits := b.Tensor("hits", models.UInt8, []int{4}, nil)
	b.Op(ops.OpHashtableLookup, 1, []int{lookup, k, v}, []int{out, hits}, build.Options{})
	b.Output(out, hits)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), encode(models.Int32, []float64{9, 3, 2, 4}))
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "values", decodeStrings(t, it.Output(0), 4), []string{"nine", "", "two", ""})
	ewtCompare(t, "hits", []int{4}, decode(models.UInt8, it.Output(1)[:4]), []float64{1, 0, 1, 1}, 0)
	copy(it.Input(0), encode(models.Int32, []float64{2, 2, 9, 9}))
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%v allocations per Invoke", a)
	}
	sameStrings(t, "values again", decodeStrings(t, it.Output(0), 4), []string{"two", "two", "nine", "nine"})

	// String values must be 1-D.
	b = build.New()
	lookup = b.Input("lookup", models.Int32, []int{1}, nil)
	k = b.Const("keys", models.Int32, []int{1}, []int32{2}, nil)
	v = b.Const("vals", models.String, []int{1, 1}, build.Strings("x"), nil)
	out = b.Tensor("out", models.String, []int{1}, nil)
	hits = b.Tensor("hits", models.UInt8, []int{1}, nil)
	b.Op(ops.OpHashtableLookup, 1, []int{lookup, k, v}, []int{out, hits}, build.Options{})
	b.Output(out, hits)
	_, err = ewtLoad(t, b)
	ewtWantErr(t, err, ops.OpHashtableLookup, "node 0", `string value tensor "vals" shape [1 1] must be 1-D`)
}
