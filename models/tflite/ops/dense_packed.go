package ops

import "github.com/axle-edge/axle/models"

// FULLY_CONNECTED with packed INT4 or INT2 filters: versions 10 (int8
// activations, int4 filter), 13 (int16 activations, int4 filter, int16
// output) and 14 (int2 filter with float, int8 or int16 activations).
// LiteRT unpacks such a filter to int8 (sign-extended, lowest bits first)
// and then runs its int8-filter kernel; here the filter is unpacked into an
// int8 tensor that fcPrepare and fcEval see in its place, once for a
// constant filter and on every Eval otherwise. Filter zero points must be
// 0, as LiteRT checks.
//
// Float activations with an int4 filter (hybrid 4-bit) take LiteRT's
// optimized 4-bit path when it would (dense_packed4.go); otherwise, as in
// LiteRT, the int8 hybrid kernel runs on the unpacked filter. Blockwise-
// quantized filters go to their own kernel (dense_blockwise.go).

// fcPacked is the node state while the filter is packed; inner is the
// fcState of the int8 kernel, swapped into n.State around each call.
type fcPacked struct {
	inner  any
	filter Tensor // the unpacked int8 filter
	opt4   *fc4bit
}

// packedFilterCtx hands out the unpacked filter as input 1.
type packedFilterCtx struct {
	Context
	n      *Node
	filter *Tensor
}

func (p packedFilterCtx) Input(n *Node, i int) *Tensor {
	if n == p.n && i == 1 {
		return p.filter
	}
	return p.Context.Input(n, i)
}

func fcPackedPrepare(c Context, n *Node) error {
	ps, _ := n.State.(*fcPacked)
	filter := c.Input(n, 1)
	if filter != nil && filter.Blockwise != nil {
		return fcBlockwisePrepare(c, n, filter)
	}
	if filter == nil || (filter.Type != models.Int4 && filter.Type != models.Int2) {
		if ps != nil {
			n.State = ps.inner
		}
		return fcPrepare(c, n)
	}
	if filter.Dims() != 2 {
		return n.Errorf("filter must be 2-D, got shape %v", filter.Shape)
	}
	elems, ok := mulChecked(filter.Shape...)
	if !ok {
		return n.Errorf("filter shape %v is invalid or too large", filter.Shape)
	}
	if filter.Quant != nil {
		for i, z := range filter.Quant.ZeroPoint {
			if z != 0 {
				return n.Errorf("filter %q (%s): zero point %d (entry %d) must be 0", filter.Name, filter.Type, z, i)
			}
		}
	}
	if ps == nil {
		ps = &fcPacked{}
	}
	w := &ps.filter
	if len(w.Data) != elems {
		buf, err := c.Alloc(elems)
		if err != nil {
			return n.Errorf("unpacked filter: %v", err)
		}
		w.Data = buf[:elems]
	}
	w.Name, w.Type, w.Shape, w.Quant, w.Const = filter.Name, models.Int8, filter.Shape, filter.Quant, filter.Const
	if filter.Const {
		if err := unpackFilter(n, filter, w.Data); err != nil {
			return err
		}
	}
	n.State = ps.inner
	err := fcPrepare(packedFilterCtx{c, n, w}, n)
	ps.inner, n.State = n.State, ps
	if err != nil {
		return err
	}
	return ps.prepare4bit(c, n, filter)
}

func fcPackedEval(c Context, n *Node) error {
	if bs, ok := n.State.(*fcBlockwise); ok {
		return bs.eval(c, n)
	}
	ps, ok := n.State.(*fcPacked)
	if !ok {
		return fcEval(c, n)
	}
	if ps.opt4 != nil {
		return ps.opt4.eval(c, n, ps.filter.Data)
	}
	if !ps.filter.Const {
		if err := unpackFilter(n, c.Input(n, 1), ps.filter.Data); err != nil {
			return err
		}
	}
	n.State = ps.inner
	err := fcEval(packedFilterCtx{c, n, &ps.filter}, n)
	n.State = ps
	return err
}

// unpackFilter sign-extends the packed int4 or int2 elements of filter into
// dst, one per byte.
func unpackFilter(n *Node, filter *Tensor, dst []byte) error {
	per := 2
	if filter.Type == models.Int2 {
		per = 4
	}
	if need := (len(dst) + per - 1) / per; len(filter.Data) < need {
		return n.Errorf("filter %q has %d bytes of data, its %d %s elements need %d", filter.Name, len(filter.Data), len(dst), filter.Type, need)
	}
	bits := 8 / per
	for e := range dst {
		b := filter.Data[e/per]
		shift := 8 - bits - bits*(e%per) // moves element e to the top bits
		dst[e] = byte(int8(b<<shift) >> (8 - bits))
	}
	return nil
}
