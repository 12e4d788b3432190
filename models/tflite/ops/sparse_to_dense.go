package ops

import (
	"github.com/axle-edge/axle/models"
)

// SPARSE_TO_DENSE: an output of shape output_shape (rank 1 to 4) filled
// with default_value, then values (one per index, or one scalar for all)
// written at the given indices, later indices overwriting earlier ones.
// Indices are a scalar or vector (rank-1 output) or a [count, rank]
// matrix. Unlike TFLite, which only asserts in debug builds, an index
// outside the output is an error naming it.

func addSparseToDense(r *Resolver) {
	r.Builtin[OpSparseToDense] = &Kernel{MaxVersion: 3, Prepare: s2dPrepare, Eval: s2dEval}
}

type s2dState struct {
	shape   []int
	dynamic bool
}

func s2dPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 4 || len(n.Outputs) != 1 {
		return n.Errorf("takes 4 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	idx, shape, vals, def, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	if idx == nil || shape == nil || vals == nil || def == nil || out == nil {
		return n.Errorf("indices, output_shape, values, default_value and output tensors are required")
	}
	switch {
	case idx.Dims() > 2:
		return n.Errorf("indices tensor %q must have rank 0 to 2, got %v", idx.Name, idx.Shape)
	case idx.Type != models.Int32 && idx.Type != models.Int64:
		return n.Errorf("indices tensor %q must be int32 or int64, got %s", idx.Name, idx.Type)
	case shape.Dims() != 1 || (shape.Type != models.Int32 && shape.Type != models.Int64):
		return n.Errorf("output_shape tensor %q must be a 1-D int32 or int64 tensor, got %s %v", shape.Name, shape.Type, shape.Shape)
	case vals.Dims() > 1:
		return n.Errorf("values tensor %q must be a scalar or 1-D, got %v", vals.Name, vals.Shape)
	case def.NumElements() != 1:
		return n.Errorf("default_value tensor %q must have one element, got shape %v", def.Name, def.Shape)
	case def.Type != vals.Type:
		return n.Errorf("default_value tensor %q type %s differs from values type %s", def.Name, def.Type, vals.Type)
	}
	switch vals.Type {
	case models.Int32, models.Int64, models.Int8, models.UInt8, models.Float32:
	default:
		return n.Errorf("values tensor %q type %s is not supported", vals.Name, vals.Type)
	}
	rank := shape.Shape[0]
	if rank < 1 || rank > 4 {
		return n.Errorf("output_shape tensor %q has %d elements, want 1 to 4", shape.Name, rank)
	}
	count := idx.NumElements()
	if idx.Dims() < 2 {
		if rank != 1 {
			return n.Errorf("indices tensor %q of rank %d needs a 1-element output_shape, got %d elements", idx.Name, idx.Dims(), rank)
		}
	} else {
		if idx.Shape[1] != rank {
			return n.Errorf("indices tensor %q rows have %d coordinates, output_shape has %d elements", idx.Name, idx.Shape[1], rank)
		}
		count = idx.Shape[0]
	}
	if vals.Dims() != 0 && vals.NumElements() != count {
		return n.Errorf("values tensor %q has %d elements for %d indices", vals.Name, vals.NumElements(), count)
	}
	out.Type = vals.Type // as TFLite's Prepare does
	st := &s2dState{dynamic: !shape.Const}
	var err error
	if st.shape, err = makeSlice[int](c, rank); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, shape, out)
}

func (st *s2dState) resize(c Context, n *Node, shape, out *Tensor) error {
	if err := checkData(n, "output_shape", shape, len(st.shape)); err != nil {
		return err
	}
	for i := range st.shape {
		d := s2dAt(shape, i)
		if d < 0 || d > int64(maxTensorBytes) {
			return n.Errorf("output_shape tensor %q: element %d is %d", shape.Name, i, d)
		}
		st.shape[i] = int(d)
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// s2dAt reads element i of an int32 or int64 tensor.
func s2dAt(t *Tensor, i int) int64 {
	if t.Type == models.Int32 {
		return int64(t.I32()[i])
	}
	return t.I64()[i]
}

func s2dEval(c Context, n *Node) error {
	st, ok := n.State.(*s2dState)
	if !ok {
		return n.Errorf("not prepared")
	}
	idx, shape, vals, def, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	if st.dynamic {
		if err := st.resize(c, n, shape, out); err != nil {
			return err
		}
	}
	total := out.NumElements()
	rank := len(st.shape)
	count := idx.NumElements()
	if idx.Dims() == 2 {
		count = idx.Shape[0]
	}
	for _, e := range []struct {
		what  string
		t     *Tensor
		elems int
	}{{"indices", idx, idx.NumElements()}, {"values", vals, vals.NumElements()}, {"default_value", def, 1}, {"output", out, total}} {
		if err := checkData(n, e.what, e.t, e.elems); err != nil {
			return err
		}
	}
	size := vals.Type.Size()
	for i := 0; i < total; i++ {
		copy(out.Data[i*size:(i+1)*size], def.Data[:size])
	}
	scalar := vals.Dims() == 0
	for i := 0; i < count; i++ {
		off := 0
		for d := 0; d < rank; d++ {
			p := s2dAt(idx, i*rank+d)
			if p < 0 || p >= int64(st.shape[d]) {
				return n.Errorf("indices tensor %q: index %d, coordinate %d is %d, outside [0, %d)", idx.Name, i, d, p, st.shape[d])
			}
			off = off*st.shape[d] + int(p)
		}
		src := 0
		if !scalar {
			src = i
		}
		copy(out.Data[off*size:(off+1)*size], vals.Data[src*size:(src+1)*size])
	}
	return nil
}
