package ops

import (
	"github.com/axle-edge/axle/models"
)

// HASHTABLE_LOOKUP finds each int32 lookup id among sorted int32 keys and
// copies the matching value row (zeros when absent) and a hit flag (uint8
// 1 or 0). The search is the C library's bsearch with TFLite's comparator,
// the wrapping difference of the two ints, so extreme keys behave as in
// TFLite. Values of every fixed-size type, and 1-D string values
// (hashtable_lookup_string.go).

func addHashtableLookup(r *Resolver) {
	r.Builtin[OpHashtableLookup] = &Kernel{MaxVersion: 1, Prepare: htLookupPrepare, Eval: htLookupEval}
}

func htLookupPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 2 {
		return n.Errorf("takes 3 inputs and 2 outputs, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	lookup, keys, vals, out, hits := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0), c.Output(n, 1)
	if lookup == nil || keys == nil || vals == nil || out == nil || hits == nil {
		return n.Errorf("lookup, key, value, output and hits tensors are required")
	}
	if vals.Type == models.String {
		return htLookupStringPrepare(c, n, lookup, keys, vals, out, hits)
	}
	switch {
	case lookup.Dims() != 1 || lookup.Type != models.Int32:
		return n.Errorf("lookup tensor %q must be 1-D int32, got %s %v", lookup.Name, lookup.Type, lookup.Shape)
	case keys.Dims() != 1 || keys.Type != models.Int32:
		return n.Errorf("key tensor %q must be 1-D int32, got %s %v", keys.Name, keys.Type, keys.Shape)
	case vals.Dims() < 1 || vals.Shape[0] != keys.Shape[0]:
		return n.Errorf("value tensor %q shape %v must have %d rows, one per key", vals.Name, vals.Shape, keys.Shape[0])
	case vals.Type.Size() == 0:
		return n.Errorf("value tensor %q type %s is not supported", vals.Name, vals.Type)
	case out.Type != vals.Type:
		return n.Errorf("output tensor %q type %s differs from value type %s", out.Name, out.Type, vals.Type)
	case hits.Type != models.UInt8:
		return n.Errorf("hits tensor %q must be uint8, got %s", hits.Name, hits.Type)
	}
	if _, ok := mulChecked(vals.Shape...); !ok {
		return n.Errorf("value tensor %q shape %v is invalid or too large", vals.Name, vals.Shape)
	}
	shape := append([]int{lookup.Shape[0]}, vals.Shape[1:]...)
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	if err := c.Resize(hits, lookup.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func htLookupEval(c Context, n *Node) error {
	lookup, keys, vals, out, hits := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0), c.Output(n, 1)
	if vals.Type == models.String {
		return htLookupStringEval(c, n, lookup, keys, vals, out, hits)
	}
	if err := ewHaveData(n, lookup, keys, vals, out, hits); err != nil {
		return err
	}
	rows := vals.Shape[0]
	if rows == 0 {
		return n.Errorf("value tensor %q has no rows", vals.Name)
	}
	rb := vals.NumElements() * vals.Type.Size() / rows
	k := keys.I32()[:rows]
	h := hits.U8()
	for i, id := range lookup.I32()[:lookup.Shape[0]] {
		dst := out.Data[i*rb : (i+1)*rb]
		j := htBsearch(id, k)
		if j < 0 {
			clear(dst)
			h[i] = 0
			continue
		}
		copy(dst, vals.Data[j*rb:(j+1)*rb])
		h[i] = 1
	}
	return nil
}

// htBsearch is glibc's bsearch with TFLite's comparator *a - *b (int
// arithmetic, wrapping).
func htBsearch(key int32, keys []int32) int {
	lo, hi := 0, len(keys)
	for lo < hi {
		mid := (lo + hi) / 2
		switch d := key - keys[mid]; {
		case d < 0:
			hi = mid
		case d > 0:
			lo = mid + 1
		default:
			return mid
		}
	}
	return -1
}
