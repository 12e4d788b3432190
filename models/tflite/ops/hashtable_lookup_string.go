package ops

import "github.com/axle-edge/axle/models"

// HASHTABLE_LOOKUP with string values: the keys and the search are those
// of the fixed-size path; the output is a 1-D string tensor, one string
// per lookup (empty on a miss), sized at Eval in two passes (lengths,
// then bytes) so that it allocates only when it outgrows its largest
// size so far.

func htLookupStringPrepare(c Context, n *Node, lookup, keys, vals, out, hits *Tensor) error {
	switch {
	case lookup.Dims() != 1 || lookup.Type != models.Int32:
		return n.Errorf("lookup tensor %q must be 1-D int32, got %s %v", lookup.Name, lookup.Type, lookup.Shape)
	case keys.Dims() != 1 || keys.Type != models.Int32:
		return n.Errorf("key tensor %q must be 1-D int32, got %s %v", keys.Name, keys.Type, keys.Shape)
	case vals.Dims() != 1 || vals.Shape[0] != keys.Shape[0]:
		return n.Errorf("string value tensor %q shape %v must be 1-D with %d rows, one per key", vals.Name, vals.Shape, keys.Shape[0])
	case out.Type != models.String:
		return n.Errorf("output tensor %q type %s differs from value type string", out.Name, out.Type)
	case hits.Type != models.UInt8:
		return n.Errorf("hits tensor %q must be uint8, got %s", hits.Name, hits.Type)
	}
	c.SetDynamic(out)
	if err := c.Resize(hits, lookup.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func htLookupStringEval(c Context, n *Node, lookup, keys, vals, out, hits *Tensor) error {
	if err := ewHaveData(n, lookup, keys, hits); err != nil {
		return err
	}
	if err := checkStringTensor(n, vals, "value"); err != nil {
		return err
	}
	rows := vals.Shape[0]
	if rows == 0 {
		return n.Errorf("value tensor %q has no rows", vals.Name)
	}
	k := keys.I32()[:rows]
	ids := lookup.I32()[:lookup.Shape[0]]
	var total int64
	for _, id := range ids {
		if j := htBsearch(id, k); j >= 0 {
			total += int64(len(vals.StringAt(j)))
		}
	}
	size, ok := stringBytes(int64(len(ids)), total)
	if !ok {
		return n.Errorf("output %q: %d strings of %d bytes do not fit a string buffer", out.Name, len(ids), total)
	}
	if err := c.ResizeBytes(out, lookup.Shape, size); err != nil {
		return n.Errorf("%v", err)
	}
	w := newStringWriter(out.Data, len(ids))
	h := hits.U8()
	for i, id := range ids {
		j := htBsearch(id, k)
		if j < 0 {
			w.add(nil)
			h[i] = 0
			continue
		}
		w.add(vals.StringAt(j))
		h[i] = 1
	}
	return nil
}
