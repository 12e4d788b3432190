package ops_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// Schema TensorType codes for HashtableOptions.
const (
	tfInt64  int8 = 4
	tfString int8 = 5
)

// decodeStrings parses a string tensor's buffer, failing the test when it
// is malformed.
func decodeStrings(t *testing.T, data []byte, n int) []string {
	t.Helper()
	if err := ops.CheckStrings(data, n); err != nil {
		t.Fatalf("string output: %v", err)
	}
	out := make([]string, n)
	for i := range out {
		lo := binary.LittleEndian.Uint32(data[4*(i+1):])
		hi := binary.LittleEndian.Uint32(data[4*(i+2):])
		out[i] = string(data[lo:hi])
	}
	return out
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
	}
}

func htOpts(id int32, key, val int8) build.Options {
	return build.Options{Type: build.OptHashtable, Fields: []build.Field{{Slot: 0, Value: id}, {Slot: 1, Value: key}, {Slot: 2, Value: val}}}
}

// htTableModel creates table 7, imports keys/values, then finds the
// nKeys input keys (default dflt) and reports the size. Outputs: found
// values, size.
func htTableModel(t *testing.T, keyT, valT models.DType, keys, vals, dflt any, nKeys int) (*tflite.Interpreter, error) {
	t.Helper()
	code := map[models.DType]int8{models.Int64: tfInt64, models.String: tfString}
	b := build.New()
	in := b.Input("find", keyT, []int{nKeys}, nil)
	n := 0
	switch k := keys.(type) {
	case []int64:
		n = len(k)
	case build.Raw:
		n = int(binary.LittleEndian.Uint32(k))
	}
	k := b.Const("keys", keyT, []int{n}, keys, nil)
	v := b.Const("vals", valT, []int{n}, vals, nil)
	d := b.Const("default", valT, []int{1}, dflt, nil)
	h := b.Tensor("handle", models.Resource, []int{1}, nil)
	out := b.Tensor("out", valT, []int{nKeys}, nil)
	size := b.Tensor("size", models.Int64, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(7, code[keyT], code[valT]))
	b.Op(ops.OpHashtableImport, 1, []int{h, k, v}, nil, build.Options{})
	b.Op(ops.OpHashtableFind, 1, []int{h, in, d}, []int{out}, build.Options{})
	b.Op(ops.OpHashtableSize, 1, []int{h}, []int{size}, build.Options{})
	b.Output(out, size)
	return ewtLoad(t, b)
}

func TestHashtableInt64ToString(t *testing.T) {
	// Keys 3, -1, 3, 9 -> "c", "minus", "dup", "": the first 3 wins (TFLite
	// inserts without overwriting), so 3 entries. Finding [9, 3, 4, -1]
	// gives "", "c", the default "?", "minus".
	ctx := context.Background()
	it, err := htTableModel(t, models.Int64, models.String, []int64{3, -1, 3, 9}, build.Strings("c", "minus", "dup", ""), build.Strings("?"), 4)
	if err != nil {
		t.Fatal(err)
	}
	copy(it.Input(0), encode(models.Int64, []float64{9, 3, 4, -1}))
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "found", decodeStrings(t, it.Output(0), 4), []string{"", "c", "?", "minus"})
	if got := decode(models.Int64, it.Output(1)); len(got) != 1 || got[0] != 3 {
		t.Errorf("size %v, want [3]", got)
	}
	// A second Invoke imports nothing new and reuses the output buffer.
	copy(it.Input(0), encode(models.Int64, []float64{-1, -1, 3, 3}))
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%v allocations per Invoke", a)
	}
	sameStrings(t, "found again", decodeStrings(t, it.Output(0), 4), []string{"minus", "minus", "c", "c"})
}

func TestHashtableStringToInt64(t *testing.T) {
	// "b"->2, "a"->1, ""->0; finding ["a", "zz", "", "b", "a"] with default
	// -5 gives 1, -5, 0, 2, 1.
	ctx := context.Background()
	b := build.New()
	in := b.Const("find", models.String, []int{5}, build.Strings("a", "zz", "", "b", "a"), nil)
	k := b.Const("keys", models.String, []int{3}, build.Strings("b", "a", ""), nil)
	v := b.Const("vals", models.Int64, []int{3}, []int64{2, 1, 0}, nil)
	d := b.Const("default", models.Int64, []int{1}, []int64{-5}, nil)
	h := b.Tensor("handle", models.Resource, []int{1}, nil)
	out := b.Tensor("out", models.Int64, []int{5}, nil)
	size := b.Tensor("size", models.Int64, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(1, tfString, tfInt64))
	b.Op(ops.OpHashtableImport, 1, []int{h, k, v}, nil, build.Options{})
	b.Op(ops.OpHashtableFind, 1, []int{h, in, d}, []int{out}, build.Options{})
	b.Op(ops.OpHashtableSize, 1, []int{h}, []int{size}, build.Options{})
	b.Output(out, size)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	ewtCompare(t, "found", []int{5}, decode(models.Int64, it.Output(0)), []float64{1, -5, 0, 2, 1}, 0)
	ewtCompare(t, "size", []int{1}, decode(models.Int64, it.Output(1)), []float64{3}, 0)
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%v allocations per Invoke", a)
	}
}

func TestHashtableErrors(t *testing.T) {
	// Unsupported key/value pair in the options.
	b := build.New()
	h := b.Tensor("handle", models.Resource, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(1, tfInt64, tfInt64))
	b.Output(h)
	_, err := ewtLoad(t, b)
	ewtWantErr(t, err, ops.OpHashtable, "node 0", "key_dtype 4 and value_dtype 4")

	// Find with a key type the table does not have.
	b = build.New()
	h = b.Tensor("handle", models.Resource, []int{1}, nil)
	keys := b.Const("keys", models.Int64, []int{1}, []int64{1}, nil)
	d := b.Const("default", models.Int64, []int{1}, []int64{0}, nil)
	out := b.Tensor("out", models.Int64, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(1, tfInt64, tfString))
	b.Op(ops.OpHashtableFind, 1, []int{h, keys, d}, []int{out}, build.Options{})
	b.Output(out)
	_, err = ewtLoad(t, b)
	ewtWantErr(t, err, ops.OpHashtableFind, "node 1", `keys "keys" (int64) and output "out" (int64)`)

	// Find before import.
	b = build.New()
	h = b.Tensor("handle", models.Resource, []int{1}, nil)
	keys = b.Const("keys", models.Int64, []int{1}, []int64{1}, nil)
	ds := b.Const("default", models.String, []int{1}, build.Strings("x"), nil)
	outs := b.Tensor("out", models.String, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(1, tfInt64, tfString))
	b.Op(ops.OpHashtableFind, 1, []int{h, keys, ds}, []int{outs}, build.Options{})
	b.Output(outs)
	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	err = it.Invoke(context.Background())
	ewtWantErr(t, err, ops.OpHashtableFind, "node 1", "must be imported")

	// A string constant whose buffer holds fewer strings than its shape
	// fails the load naming the tensor.
	_, err = htTableModel(t, models.Int64, models.String, []int64{1, 2}, build.Strings("a"), build.Strings("?"), 1)
	if err == nil || !strings.Contains(err.Error(), `"vals"`) || !strings.Contains(err.Error(), "holds 1 strings, the shape has 2 elements") {
		t.Fatalf("values buffer of 1 string for shape [2]: error %v", err)
	}
}

// TestHashtableInitSubgraph is the converter's layout: CALL_ONCE runs an
// init subgraph that creates table 5 and imports into it; the main
// subgraph names the same table_id and finds in it. The table outlives
// Reset, as TFLite's resources do.
func TestHashtableInitSubgraph(t *testing.T) {
	ctx := context.Background()
	b := build.New()
	b.Op(ops.OpCallOnce, 1, nil, nil, build.Options{Type: build.OptCallOnce, Fields: []build.Field{{Slot: 0, Value: int32(1)}}})
	h := b.Tensor("handle", models.Resource, []int{1}, nil)
	b.Op(ops.OpHashtable, 1, nil, []int{h}, htOpts(5, tfString, tfInt64))
	in := b.Const("words", models.String, []int{2, 2}, build.Strings("cat", "dog", "eel", ""), nil)
	d := b.Const("default", models.Int64, []int{1}, []int64{-1}, nil)
	out := b.Tensor("ids", models.Int64, []int{2, 2}, nil)
	b.Op(ops.OpHashtableFind, 1, []int{h, in, d}, []int{out}, build.Options{})
	b.Output(out)

	init := b.NewSubgraph("init")
	ih := init.Tensor("handle", models.Resource, []int{1}, nil)
	init.Op(ops.OpHashtable, 1, nil, []int{ih}, htOpts(5, tfString, tfInt64))
	k := init.Const("keys", models.String, []int{3}, build.Strings("dog", "", "cat"), nil)
	v := init.Const("vals", models.Int64, []int{3}, []int64{7, 0, 3}, nil)
	init.Op(ops.OpHashtableImport, 1, []int{ih, k, v}, nil, build.Options{})

	it, err := ewtLoad(t, b)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		ewtCompare(t, "ids", []int{2, 2}, decode(models.Int64, it.Output(0)), []float64{3, 7, -1, 0}, 0)
		if err := it.Reset(); err != nil {
			t.Fatal(err)
		}
	}
}
