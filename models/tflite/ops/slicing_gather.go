package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// GATHER picks slices of params along axis by index. With batch_dims b the
// first b axes of params and indices are paired:
//
//	out[p0..p(b-1), outer.., i.., inner..] = params[p.., outer.., indices[p.., i..], inner..]

type gatherState struct {
	esz                                 int
	batch, outer, coords, axisDim, rows int // rows = inner elements per slice
}

func gatherPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	idx := c.Input(n, 1)
	if idx == nil {
		return n.Errorf("indices input is missing")
	}
	switch idx.Type {
	case models.Int16, models.Int32, models.Int64:
	default:
		return n.Errorf("indices must be int16, int32 or int64, not %s", idx.Type)
	}
	esz := in.Type.Size()
	if _, err := shapeElems(in.Shape, esz); err != nil {
		return n.Errorf("params: %v", err)
	}
	if _, err := shapeElems(idx.Shape, idx.Type.Size()); err != nil {
		return n.Errorf("indices: %v", err)
	}
	o := n.Opts.(*GatherOptions)
	axis, err := normAxis(int(o.Axis), in.Dims(), "axis")
	if err != nil {
		return n.Errorf("%v", err)
	}
	bd := int(o.BatchDims)
	if bd < 0 {
		bd += idx.Dims()
	}
	if bd < 0 || bd > axis || bd > idx.Dims() {
		return n.Errorf("batch_dims %d is out of range (axis %d, indices rank %d)", o.BatchDims, axis, idx.Dims())
	}
	for i := 0; i < bd; i++ {
		if in.Shape[i] != idx.Shape[i] {
			return n.Errorf("batch dimension %d differs: params %v, indices %v", i, in.Shape, idx.Shape)
		}
	}
	shape := make([]int, 0, in.Dims()+idx.Dims()-1-bd)
	shape = append(shape, in.Shape[:axis]...)
	shape = append(shape, idx.Shape[bd:]...)
	shape = append(shape, in.Shape[axis+1:]...)
	if len(shape) > maxRank {
		return n.Errorf("output would have %d dimensions, at most %d are supported", len(shape), maxRank)
	}
	if _, err := shapeElems(shape, esz); err != nil {
		return n.Errorf("output: %v", err)
	}
	st := &gatherState{esz: esz, batch: 1, outer: 1, coords: 1, rows: 1, axisDim: in.Shape[axis]}
	for i, d := range in.Shape {
		switch {
		case i < bd:
			st.batch *= d
		case i < axis:
			st.outer *= d
		case i > axis:
			st.rows *= d
		}
	}
	for _, d := range idx.Shape[bd:] {
		st.coords *= d
	}
	n.State = st
	return c.Resize(out, shape)
}

func gatherEval(c Context, n *Node) error {
	st := n.State.(*gatherState)
	in, idx, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	row := st.rows * st.esz
	if len(in.Data) < st.batch*st.outer*st.axisDim*row || len(out.Data) < st.batch*st.outer*st.coords*row {
		return n.Errorf("tensor data too small for params %v and output %v", in.Shape, out.Shape)
	}
	var err error
	switch idx.Type {
	case models.Int16:
		err = gatherRows(st, out.Data, in.Data, idx.I16())
	case models.Int32:
		err = gatherRows(st, out.Data, in.Data, idx.I32())
	case models.Int64:
		err = gatherRows(st, out.Data, in.Data, idx.I64())
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func gatherRows[I int16 | int32 | int64](st *gatherState, dst, src []byte, idx []I) error {
	if len(idx) < st.batch*st.coords {
		return fmt.Errorf("indices have %d values, want %d", len(idx), st.batch*st.coords)
	}
	row := st.rows * st.esz
	o := 0
	for b := 0; b < st.batch; b++ {
		ids := idx[b*st.coords : (b+1)*st.coords]
		for k := 0; k < st.outer; k++ {
			base := (b*st.outer + k) * st.axisDim
			for i, v := range ids {
				if v < 0 || int64(v) >= int64(st.axisDim) {
					return fmt.Errorf("index %d at position %d is out of range [0, %d)", v, b*st.coords+i, st.axisDim)
				}
				s := (base + int(v)) * row
				copy(dst[o:o+row], src[s:s+row])
				o += row
			}
		}
	}
	return nil
}
