package ops

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// HASHTABLE, HASHTABLE_IMPORT, HASHTABLE_FIND and HASHTABLE_SIZE are
// TFLite's static hashtables: HASHTABLE writes the int32 table_id of its
// options to a resource handle and creates the table on first use;
// HASHTABLE_IMPORT fills it once (later imports do nothing, and the first
// of duplicate keys wins, as in TFLite); HASHTABLE_FIND maps each key to
// its value or to the first element of the default tensor; HASHTABLE_SIZE
// gives the entry count. Keys and values are int64 -> string or string ->
// int64, the two pairs TFLite supports. Tables live in the model's
// Variables beside resource variables (their own id space) and, like
// TFLite's, survive Reset: the imported data are constants of the model.
//
// A table is kept sorted by key in memory counted against the model's
// limit, allocated once at import; FIND binary-searches it, so its only
// allocation is the growth of a string output past its largest size so
// far.

func addHashtable(r *Resolver) {
	r.Builtin[OpHashtable] = &Kernel{MaxVersion: 1, Prepare: htPrepare, Eval: htEval}
	r.Builtin[OpHashtableImport] = &Kernel{MaxVersion: 1, Prepare: htImportPrepare, Eval: htImportEval}
	r.Builtin[OpHashtableFind] = &Kernel{MaxVersion: 1, Prepare: htFindPrepare, Eval: htFindEval}
	r.Builtin[OpHashtableSize] = &Kernel{MaxVersion: 1, Prepare: htSizePrepare, Eval: htSizeEval}
}

// hashTable is one static hashtable. Exactly one of ikeys/skeys and one of
// ivals/svals is used, by key and value type.
type hashTable struct {
	key, val models.DType
	ready    bool // imported
	n        int
	ikeys    []int64
	skeys    Tensor // string buffer of the sorted keys
	ivals    []int64
	svals    Tensor // string buffer of the values in key order
}

// table returns hashtable id, creating it with the given types when absent
// (an existing table keeps its types, as TFLite's does).
func (v *Variables) table(id int32, key, val models.DType) *hashTable {
	if v.tables == nil {
		v.tables = map[int32]*hashTable{}
	}
	t, ok := v.tables[id]
	if !ok {
		t = &hashTable{key: key, val: val}
		v.tables[id] = t
	}
	return t
}

// htTypesOK reports whether key -> val is a pair TFLite's tables support.
func htTypesOK(key, val models.DType) bool {
	return (key == models.Int64 && val == models.String) || (key == models.String && val == models.Int64)
}

type htState struct {
	id       int32
	key, val models.DType
}

func htPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 0 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 0 and 1", len(n.Inputs), len(n.Outputs))
	}
	out := c.Output(n, 0)
	if out == nil || out.Type != models.Resource {
		return n.Errorf("output must be a resource tensor")
	}
	if c.Variables() == nil {
		return n.Errorf("the runtime has no variables")
	}
	o := n.Opts.(*HashtableOptions)
	key, kok := flatbuf.ToDType(o.KeyDtype)
	val, vok := flatbuf.ToDType(o.ValueDtype)
	if !kok || !vok || !htTypesOK(key, val) {
		return n.Errorf("options: key_dtype %d and value_dtype %d: only int64 -> string and string -> int64 tables are supported", o.KeyDtype, o.ValueDtype)
	}
	if err := c.Resize(out, []int{1}); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = &htState{id: o.TableId, key: key, val: val}
	return nil
}

func htEval(c Context, n *Node) error {
	st := n.State.(*htState)
	out := c.Output(n, 0)
	if len(out.Data) < 4 {
		return n.Errorf("output %q has %d bytes, a handle needs 4", out.Name, len(out.Data))
	}
	c.Variables().table(st.id, st.key, st.val)
	binary.LittleEndian.PutUint32(out.Data, uint32(st.id))
	return nil
}

// htHandle checks input 0 of a table op: a resource of shape [1].
func htHandle(c Context, n *Node) error {
	h := c.Input(n, 0)
	if h == nil || h.Type != models.Resource || h.Dims() != 1 || h.Shape[0] != 1 {
		return n.Errorf("input 0 must be a resource handle of shape [1]")
	}
	if c.Variables() == nil {
		return n.Errorf("the runtime has no variables")
	}
	return nil
}

// htLookup returns the table input 0 names, checking its types against the
// node's key and value tensors.
func htLookup(c Context, n *Node, key, val *Tensor) (*hashTable, error) {
	id, err := handleOf(c.Input(n, 0))
	if err != nil {
		return nil, n.Errorf("%v", err)
	}
	t := c.Variables().tables[id]
	if t == nil {
		return nil, n.Errorf("no hashtable with id %d (HASHTABLE must run first)", id)
	}
	if key != nil && (t.key != key.Type || t.val != val.Type) {
		return nil, n.Errorf("hashtable %d maps %s to %s, tensors %q and %q are %s and %s", id, t.key, t.val, key.Name, val.Name, key.Type, val.Type)
	}
	return t, nil
}

func htImportPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 0 {
		return n.Errorf("has %d inputs and %d outputs, want 3 and 0", len(n.Inputs), len(n.Outputs))
	}
	if err := htHandle(c, n); err != nil {
		return err
	}
	keys, vals := c.Input(n, 1), c.Input(n, 2)
	if keys == nil || vals == nil {
		return n.Errorf("key and value tensors are required")
	}
	if !htTypesOK(keys.Type, vals.Type) {
		return n.Errorf("keys %q (%s) and values %q (%s): only int64 -> string and string -> int64 are supported", keys.Name, keys.Type, vals.Name, vals.Type)
	}
	if !sameShape(keys.Shape, vals.Shape) {
		return n.Errorf("keys %q shape %v differs from values %q shape %v", keys.Name, keys.Shape, vals.Name, vals.Shape)
	}
	return nil
}

func htImportEval(c Context, n *Node) error {
	keys, vals := c.Input(n, 1), c.Input(n, 2)
	t, err := htLookup(c, n, keys, vals)
	if err != nil || t.ready {
		return err
	}
	count := keys.NumElements()
	for _, x := range []*Tensor{keys, vals} {
		if x.Type == models.String {
			err = checkStringTensor(n, x, "import")
		} else {
			err = ewHaveData(n, x)
		}
		if err != nil {
			return err
		}
	}
	if err := t.load(c.Variables(), keys, vals, count); err != nil {
		return n.Errorf("hashtable import: %v", err)
	}
	return nil
}

// load fills t from count keys and values: a stable sort of their order by
// key, then the first of each run of equal keys.
func (t *hashTable) load(v *Variables, keys, vals *Tensor, count int) error {
	order, err := v.limit(4 * count)
	if err != nil {
		return err
	}
	perm := view[int32](order)[:count]
	for i := range perm {
		perm[i] = int32(i)
	}
	less := func(a, b int32) int {
		if keys.Type == models.String {
			return bytes.Compare(keys.StringAt(int(a)), keys.StringAt(int(b)))
		}
		ka, kb := keys.I64()[a], keys.I64()[b]
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	}
	sort.SliceStable(perm, func(i, j int) bool { return less(perm[i], perm[j]) < 0 })
	uniq := perm[:0]
	for i, p := range perm {
		if i == 0 || less(uniq[len(uniq)-1], p) != 0 {
			uniq = append(uniq, p)
		}
	}
	var kbytes, vbytes int64
	for _, p := range uniq {
		if keys.Type == models.String {
			kbytes += int64(len(keys.StringAt(int(p))))
		} else {
			vbytes += int64(len(vals.StringAt(int(p))))
		}
	}
	if t.key == models.String {
		if t.skeys, err = newStrings(v, len(uniq), kbytes); err != nil {
			return err
		}
		if t.ivals, err = allocInt64s(v, len(uniq)); err != nil {
			return err
		}
		w := newStringWriter(t.skeys.Data, len(uniq))
		for i, p := range uniq {
			w.add(keys.StringAt(int(p)))
			t.ivals[i] = vals.I64()[p]
		}
	} else {
		if t.ikeys, err = allocInt64s(v, len(uniq)); err != nil {
			return err
		}
		if t.svals, err = newStrings(v, len(uniq), vbytes); err != nil {
			return err
		}
		w := newStringWriter(t.svals.Data, len(uniq))
		for i, p := range uniq {
			t.ikeys[i] = keys.I64()[p]
			w.add(vals.StringAt(int(p)))
		}
	}
	t.n, t.ready = len(uniq), true
	return nil
}

func newStrings(v *Variables, count int, total int64) (Tensor, error) {
	size, ok := stringBytes(int64(count), total)
	if !ok {
		return Tensor{}, fmt.Errorf("%d strings of %d bytes do not fit a string buffer", count, total)
	}
	d, err := v.limit(int(size))
	if err != nil {
		return Tensor{}, err
	}
	return Tensor{Type: models.String, Shape: []int{count}, Data: d}, nil
}

func allocInt64s(v *Variables, count int) ([]int64, error) {
	d, err := v.limit(8 * count)
	if err != nil || count == 0 {
		return nil, err
	}
	return view[int64](d)[:count], nil
}

// find returns the position of key k (an int64 or a string) among the
// sorted keys, -1 when absent.
func (t *hashTable) findInt(k int64) int {
	i := sort.Search(t.n, func(i int) bool { return t.ikeys[i] >= k })
	if i < t.n && t.ikeys[i] == k {
		return i
	}
	return -1
}

func (t *hashTable) findString(k []byte) int {
	lo, hi := 0, t.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(t.skeys.StringAt(mid), k); {
		case c < 0:
			lo = mid + 1
		case c > 0:
			hi = mid
		default:
			return mid
		}
	}
	return -1
}

func htFindPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 3 and 1", len(n.Inputs), len(n.Outputs))
	}
	if err := htHandle(c, n); err != nil {
		return err
	}
	keys, def, out := c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if keys == nil || def == nil || out == nil {
		return n.Errorf("key, default value and output tensors are required")
	}
	if def.Type != out.Type {
		return n.Errorf("default value %q type %s differs from output %q type %s", def.Name, def.Type, out.Name, out.Type)
	}
	if !htTypesOK(keys.Type, out.Type) {
		return n.Errorf("keys %q (%s) and output %q (%s): only int64 -> string and string -> int64 are supported", keys.Name, keys.Type, out.Name, out.Type)
	}
	if def.NumElements() < 1 {
		return n.Errorf("default value %q is empty", def.Name)
	}
	if out.Type == models.String {
		c.SetDynamic(out)
		return nil
	}
	if err := c.Resize(out, keys.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func htFindEval(c Context, n *Node) error {
	keys, def, out := c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	t, err := htLookup(c, n, keys, out)
	if err != nil {
		return err
	}
	if !t.ready {
		return n.Errorf("hashtable must be imported (HASHTABLE_IMPORT) before a lookup")
	}
	if out.Type == models.Int64 {
		if err := checkStringTensor(n, keys, "key"); err != nil {
			return err
		}
		if err := ewHaveData(n, def, out); err != nil {
			return err
		}
		o, d := out.I64(), def.I64()[0]
		for i := range keys.NumElements() {
			if j := t.findString(keys.StringAt(i)); j >= 0 {
				o[i] = t.ivals[j]
			} else {
				o[i] = d
			}
		}
		return nil
	}
	if err := ewHaveData(n, keys); err != nil {
		return err
	}
	if err := checkStringTensor(n, def, "default value"); err != nil {
		return err
	}
	// Two passes: the output's size, then its strings.
	count := keys.NumElements()
	k := keys.I64()[:count]
	var total int64
	for _, x := range k {
		if j := t.findInt(x); j >= 0 {
			total += int64(len(t.svals.StringAt(j)))
		} else {
			total += int64(len(def.StringAt(0)))
		}
	}
	size, ok := stringBytes(int64(count), total)
	if !ok {
		return n.Errorf("output %q: %d strings of %d bytes do not fit a string buffer", out.Name, count, total)
	}
	if err := c.ResizeBytes(out, keys.Shape, size); err != nil {
		return n.Errorf("%v", err)
	}
	w := newStringWriter(out.Data, count)
	for _, x := range k {
		if j := t.findInt(x); j >= 0 {
			w.add(t.svals.StringAt(j))
		} else {
			w.add(def.StringAt(0))
		}
	}
	return nil
}

func htSizePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 1 and 1", len(n.Inputs), len(n.Outputs))
	}
	if err := htHandle(c, n); err != nil {
		return err
	}
	out := c.Output(n, 0)
	if out == nil || out.Type != models.Int64 {
		return n.Errorf("output must be int64")
	}
	if err := c.Resize(out, []int{1}); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func htSizeEval(c Context, n *Node) error {
	out := c.Output(n, 0)
	t, err := htLookup(c, n, nil, nil)
	if err != nil {
		return err
	}
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	out.I64()[0] = int64(t.n)
	return nil
}
