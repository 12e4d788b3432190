package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// DILATE spreads the input's elements apart by a factor per dimension and
// fills the gaps with padding_value ("interior padding"):
//
//	[1 2 3] dilated by 3 with 0 -> [1 0 0 2 0 0 3]
//
// Dimension d of size s becomes (s-1)*factor+1 (0 stays 0). Any fixed-size
// type; elements are moved as bytes.

func addDilate(r *Resolver) {
	r.Builtin[OpDilate] = &Kernel{MaxVersion: 1, Prepare: dilatePrepare, Eval: dilateEval}
}

type dilateState struct {
	shape   []int // output shape
	outStep []int // output elements between neighbours along each input dim
	coord   []int
	dynamic bool
}

func dilatePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("takes 3 inputs (input, dilations, padding_value) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, dil, pad, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if in == nil || dil == nil || pad == nil || out == nil {
		return n.Errorf("input, dilations, padding_value and output tensors are required")
	}
	rank := in.Dims()
	switch {
	case rank == 0:
		return n.Errorf("input tensor %q must have rank > 0", in.Name)
	case in.Type.Size() == 0:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	case out.Type != in.Type || pad.Type != in.Type:
		return n.Errorf("output tensor %q (%s) and padding_value tensor %q (%s) must have the input type %s", out.Name, out.Type, pad.Name, pad.Type, in.Type)
	case pad.NumElements() < 1:
		return n.Errorf("padding_value tensor %q is empty", pad.Name)
	case dil.Type != models.Int32 || dil.Dims() != 1 || dil.Shape[0] != rank:
		return n.Errorf("dilations tensor %q must be int32 [%d], got %s %v", dil.Name, rank, dil.Type, dil.Shape)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	st := &dilateState{dynamic: !dil.Const}
	if err := allocAll(c, slot(&st.shape, rank), slot(&st.outStep, rank), slot(&st.coord, rank)); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, in, dil, out)
}

func (st *dilateState) resize(c Context, n *Node, in, dil, out *Tensor) error {
	rank := len(st.shape)
	if err := checkData(n, "dilations", dil, rank); err != nil {
		return err
	}
	for i, f := range dil.I32()[:rank] {
		if f < 1 {
			return n.Errorf("dilations tensor %q: element %d is %d, must be >= 1", dil.Name, i, f)
		}
		s := in.Shape[i]
		if s > 0 && int64(s-1)*int64(f)+1 > math.MaxInt32 {
			return n.Errorf("dimension %d of size %d dilated by %d is too large", i, s, f)
		}
		st.shape[i] = 0
		if s > 0 {
			st.shape[i] = (s-1)*int(f) + 1
		}
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	stride := 1
	for i := rank - 1; i >= 0; i-- {
		st.outStep[i] = stride * int(dil.I32()[i])
		stride *= st.shape[i]
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func dilateEval(c Context, n *Node) error {
	st, ok := n.State.(*dilateState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, dil, pad, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if st.dynamic {
		if err := st.resize(c, n, in, dil, out); err != nil {
			return err
		}
	}
	size := in.Type.Size()
	total, k := out.NumElements(), in.NumElements()
	if err := ewHaveData(n, in, out, pad); err != nil {
		return err
	}
	if k == 0 {
		return nil
	}
	p := pad.Data[:size]
	for i := 0; i < total; i++ {
		copy(out.Data[i*size:(i+1)*size], p)
	}
	clear(st.coord)
	off, last := 0, len(st.shape)-1
	for i := 0; i < k; i++ {
		copy(out.Data[off*size:(off+1)*size], in.Data[i*size:(i+1)*size])
		for d := last; d >= 0; d-- {
			st.coord[d]++
			off += st.outStep[d]
			if st.coord[d] < in.Shape[d] {
				break
			}
			off -= st.outStep[d] * in.Shape[d]
			st.coord[d] = 0
		}
	}
	return nil
}
