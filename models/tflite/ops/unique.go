package ops

import (
	"cmp"
	"slices"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flatbuf"
)

// UNIQUE of a 1-D tensor: the distinct values in order of first appearance
// (output 0, sized during Eval) and, for every input element, the index of
// its value in that list (output 1, int32 or int64 as the options say).
// Values are grouped by sorting a permutation kept in the node state, so
// Eval does not allocate. Float values compare as numbers (-0 equals +0);
// each NaN is a value of its own.

func addUnique(r *Resolver) {
	r.Builtin[OpUnique] = &Kernel{MaxVersion: 1, Prepare: uniquePrepare, Eval: uniqueEval}
}

// readUniqueOptions reads idx_out_type, a schema TensorType that defaults
// to INT32.
func readUniqueOptions(n *Node) (models.DType, int8) {
	tt := n.Opts.(*UniqueOptions).IdxOutType
	dt, _ := flatbuf.ToDType(tt)
	return dt, tt
}

type uniqueState struct {
	idxType models.DType
	perm    []int32 // input positions sorted by value, then position
	first   []int32 // per position: the first position holding its value
	shape   [1]int
}

func uniquePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 2 {
		return n.Errorf("takes 1 input and 2 outputs, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, vals, idx := c.Input(n, 0), c.Output(n, 0), c.Output(n, 1)
	if in == nil || vals == nil || idx == nil {
		return n.Errorf("input, unique-values and index outputs are required")
	}
	switch in.Type {
	case models.Int8, models.Int16, models.Int32, models.Int64, models.Float32, models.UInt8:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	if in.Dims() != 1 {
		return n.Errorf("input tensor %q must be 1-D, got shape %v", in.Name, in.Shape)
	}
	dt, tt := readUniqueOptions(n)
	if dt != models.Int32 && dt != models.Int64 {
		return n.Errorf("idx_out_type %d is not supported (INT32 or INT64)", tt)
	}
	st := &uniqueState{idxType: dt}
	if vals.Type != in.Type {
		return n.Errorf("output tensor %q type %s differs from input type %s", vals.Name, vals.Type, in.Type)
	}
	if idx.Type != st.idxType {
		return n.Errorf("index output tensor %q type %s differs from idx_out_type %s", idx.Name, idx.Type, st.idxType)
	}
	k := in.Shape[0]
	if k > 1<<31-1 {
		return n.Errorf("input tensor %q has %d elements, more than int32 indices hold", in.Name, k)
	}
	if err := allocAll(c, slot(&st.perm, k), slot(&st.first, k)); err != nil {
		return n.Errorf("scratch: %v", err)
	}
	n.State = st
	c.SetDynamic(vals)
	if err := c.Resize(idx, in.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func uniqueEval(c Context, n *Node) error {
	st, ok := n.State.(*uniqueState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, vals, idx := c.Input(n, 0), c.Output(n, 0), c.Output(n, 1)
	k := len(st.perm)
	if err := ewHaveData(n, in, idx); err != nil {
		return err
	}
	var u int
	switch in.Type {
	case models.Int8:
		u = uniqueGroup(st, in.I8()[:k])
	case models.Int16:
		u = uniqueGroup(st, in.I16()[:k])
	case models.Int32:
		u = uniqueGroup(st, in.I32()[:k])
	case models.Int64:
		u = uniqueGroup(st, in.I64()[:k])
	case models.Float32:
		u = uniqueGroup(st, in.F32()[:k])
	case models.UInt8:
		u = uniqueGroup(st, in.U8()[:k])
	}
	st.shape[0] = u
	if err := c.Resize(vals, st.shape[:]); err != nil {
		return n.Errorf("resize unique values: %v", err)
	}
	if err := checkData(n, "unique values", vals, u); err != nil {
		return err
	}
	// first[i] now holds the unique index of element i; leaders (first
	// appearances) copy their value.
	size := in.Type.Size()
	for i := range k {
		if uniqueLeader(st, i) {
			u := int(st.first[i])
			copy(vals.Data[u*size:(u+1)*size], in.Data[i*size:(i+1)*size])
		}
	}
	if st.idxType == models.Int32 {
		copy(idx.I32()[:k], st.first)
	} else {
		o := idx.I64()[:k]
		for i, v := range st.first {
			o[i] = int64(v)
		}
	}
	return nil
}

// uniqueLeader reports whether position i is the first of its value; perm
// is reused to mark leaders with a negative entry.
func uniqueLeader(st *uniqueState, i int) bool { return st.perm[i] < 0 }

// uniqueGroup sorts positions by value, finds each value's first position,
// numbers values by first appearance and leaves in first[i] the number of
// element i's value and in perm[i] a negative mark when i is a leader. It
// returns the number of distinct values.
func uniqueGroup[T int8 | int16 | int32 | int64 | float32 | uint8](st *uniqueState, x []T) int {
	perm, first := st.perm, st.first
	for i := range perm {
		perm[i] = int32(i)
	}
	same := func(a, b T) bool { return a == b }
	slices.SortFunc(perm, func(a, b int32) int {
		va, vb := x[a], x[b]
		switch {
		case va < vb:
			return -1
		case vb < va:
			return 1
		case same(va, vb):
			return cmp.Compare(a, b)
		}
		// NaN: order NaNs after every number, by position.
		an, bn := va != va, vb != vb
		switch {
		case an && !bn:
			return 1
		case bn && !an:
			return -1
		}
		return cmp.Compare(a, b)
	})
	// first[p] = leader position of p's value.
	for j := 0; j < len(perm); {
		lead := perm[j]
		e := j + 1
		for e < len(perm) && same(x[perm[e]], x[lead]) {
			e++
		}
		for _, p := range perm[j:e] {
			first[p] = lead
		}
		j = e
	}
	// Number leaders by position, then give every element its leader's
	// number; mark leaders in perm.
	u := int32(0)
	for i := range first {
		if first[i] == int32(i) {
			perm[i] = -1
			first[i] = u
			u++
		} else {
			perm[i] = 0
			first[i] = first[first[i]]
		}
	}
	return int(u)
}
