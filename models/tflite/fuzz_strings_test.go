package tflite_test

import (
	"context"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// stringOpsSeeds are small models of the string operators (string
// constants, static hashtables, HASHTABLE_LOOKUP with strings, SKIP_GRAM
// fed by a dynamic string tensor, LSH_PROJECTION), seeding FuzzLoad and
// the corruption test through newOpsSeeds.
func stringOpsSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b *build.Builder) {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}

	// A table int64 -> sentence; the found sentence is split into
	// bigrams.
	b := build.New()
	h := b.Tensor("handle", models.Resource, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, build.Options{Type: build.OptHashtable, Fields: []build.Field{
		{Slot: 0, Value: int32(3)}, {Slot: 1, Value: int8(4)}, {Slot: 2, Value: int8(5)}}})
	keys := b.Const("keys", models.Int64, []int{2}, []int64{0, 1}, nil)
	vals := b.Const("vals", models.String, []int{2}, build.Strings("a b c", "d e"), nil)
	b.Op(ops.OpHashtableImport, 1, []int{h, keys, vals}, nil, build.Options{})
	find := b.Input("find", models.Int64, []int{1}, nil)
	dflt := b.Const("default", models.String, []int{1}, build.Strings("none"), nil)
	found := b.Tensor("found", models.String, []int{1}, nil)
	b.Op(ops.OpHashtableFind, 1, []int{h, find, dflt}, []int{found}, build.Options{})
	grams := b.Tensor("grams", models.String, []int{0}, nil)
	b.Op(ops.OpSkipGram, 1, []int{found}, []int{grams}, build.Options{Type: build.OptSkipGram, Fields: []build.Field{
		{Slot: 0, Value: int32(2)}, {Slot: 1, Value: int32(1)}, {Slot: 2, Value: true}}})
	size := b.Tensor("size", models.Int64, []int{1}, nil)
	b.Op(ops.OpHashtableSize, 1, []int{h}, []int{size}, build.Options{})
	b.Output(grams, size)
	add(b)

	// HASHTABLE_LOOKUP with string values beside an LSH projection.
	b = build.New()
	ids := b.Input("ids", models.Int32, []int{2}, nil)
	k := b.Const("k", models.Int32, []int{2}, []int32{0, 4}, nil)
	v := b.Const("v", models.String, []int{2}, build.Strings("zero", "four"), nil)
	s := b.Tensor("s", models.String, []int{2}, nil)
	hits := b.Tensor("hits", models.UInt8, []int{2}, nil)
	b.Op(ops.OpHashtableLookup, 1, []int{ids, k, v}, []int{s, hits}, build.Options{})
	seeds := b.Const("seeds", models.Float32, []int{2, 3}, []float32{0.5, -1, 2, 3, -0.25, 1}, nil)
	proj := b.Tensor("proj", models.Int32, []int{2}, nil)
	b.Op(ops.OpLshProjection, 1, []int{seeds, ids}, []int{proj}, build.Options{Type: build.OptLSHProjection, Fields: []build.Field{{Slot: 0, Value: int8(1)}}})
	b.Output(s, hits, proj)
	add(b)
	return out
}

// TestStringOpsSeedsRun checks the string seeds load and run, and that a
// string tensor written by one kernel feeds the next: key 0 finds "a b c",
// whose grams up to bigrams skipping one are a b, a c, a, b c, b, c.
func TestStringOpsSeedsRun(t *testing.T) {
	seeds := stringOpsSeeds(t)
	it, err := tflite.Load(seeds[0], models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := it.Subgraph(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Outputs()[0].Shape; len(got) != 1 || got[0] != 6 {
		t.Fatalf("grams shape %v, want [6]", got)
	}
	want := "\x06\x00\x00\x00" + "\x20\x00\x00\x00\x23\x00\x00\x00\x26\x00\x00\x00\x27\x00\x00\x00\x2a\x00\x00\x00\x2b\x00\x00\x00\x2c\x00\x00\x00" + "a ba cab cbc"
	if got := string(it.Output(0)); got != want {
		t.Errorf("grams buffer %q, want %q", got, want)
	}
	for i, data := range seeds[1:] {
		it, err := tflite.Load(data, models.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
		err = it.Invoke(context.Background())
		it.Close()
		if err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
	}
}
