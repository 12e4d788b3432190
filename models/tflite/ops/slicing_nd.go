package ops

import (
	"fmt"

	"github.com/axle-edge/axle/models"
)

// GATHER_ND and SCATTER_ND address slices by coordinate tuples: the last
// dimension of indices holds nd coordinates into the first nd dimensions of
// params (or of the scattered output), and everything after those is one
// contiguous slice:
//
//	gather_nd:  out[i..] = params[indices[i.., 0], ..., indices[i.., nd-1], :]
//	scatter_nd: out = 0; out[indices[i.., 0], ..., :] += updates[i.., :]
//
// Output shapes: gather_nd indices.shape[:-1] + params.shape[nd:];
// scatter_nd the values of its shape input. Coordinates are checked against
// each dimension (TFLite checks only the flat offset), so a coordinate out
// of its dimension is an Invoke error rather than a read of a neighbour.

func addGatherScatterND(r *Resolver) {
	r.Builtin[OpGatherNd] = &Kernel{MaxVersion: 6, Prepare: gatherNDPrepare, Eval: gatherNDEval}
	r.Builtin[OpScatterNd] = &Kernel{MaxVersion: 1, Prepare: scatterNDPrepare, Eval: scatterNDEval}
}

// ndState is the addressing shared by both ops.
type ndState struct {
	esz    int
	nd     int          // coordinates per index tuple
	slices int          // index tuples
	slice  int          // elements per slice
	dims   [maxRank]int // sizes of the addressed dimensions
	stride [maxRank]int // element strides of the addressed dimensions
	total  int          // elements of params (gather) or output (scatter)
}

// address fills the addressed dimensions from the full shape of the
// params/output tensor.
func (st *ndState) address(full []int) {
	s := 1
	for j := len(full) - 1; j >= 0; j-- {
		if j < st.nd {
			st.dims[j], st.stride[j] = full[j], s
		}
		s *= full[j]
	}
}

// offset is the element offset of index tuple i.
func ndOffset[I int16 | int32 | int64](st *ndState, idx []I, i int) (int, error) {
	off := 0
	for j, v := range idx[i*st.nd : (i+1)*st.nd] {
		if v < 0 || int64(v) >= int64(st.dims[j]) {
			return 0, fmt.Errorf("index tuple %d: coordinate %d is %d, out of range [0, %d)", i, j, v, st.dims[j])
		}
		off += int(v) * st.stride[j]
	}
	return off, nil
}

func gatherNDPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	params, idx, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if params == nil || idx == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	esz, err := elemSize(params)
	if err != nil {
		return n.Errorf("params: %v", err)
	}
	switch idx.Type {
	case models.Int16, models.Int32, models.Int64:
	default:
		return n.Errorf("indices must be int16, int32 or int64, not %s", idx.Type)
	}
	pr, ir := params.Dims(), idx.Dims()
	if pr < 1 || ir < 1 {
		return n.Errorf("params %v and indices %v must both have at least one dimension", params.Shape, idx.Shape)
	}
	nd := idx.Shape[ir-1]
	if nd > pr {
		return n.Errorf("indices %v have %d coordinates per tuple, params %v only %d dimensions", idx.Shape, nd, params.Shape, pr)
	}
	var buf [2 * maxRank]int
	shape := append(buf[:0], idx.Shape[:ir-1]...)
	shape = append(shape, params.Shape[nd:]...)
	if len(shape) > maxRank {
		return n.Errorf("output would have %d dimensions, at most %d are supported", len(shape), maxRank)
	}
	st := &ndState{esz: esz, nd: nd}
	if st.total, err = shapeElems(params.Shape, esz); err != nil {
		return n.Errorf("params: %v", err)
	}
	if st.slices, err = shapeElems(idx.Shape[:ir-1], idx.Type.Size()*max(nd, 1)); err != nil {
		return n.Errorf("indices: %v", err)
	}
	if st.slice, err = shapeElems(params.Shape[nd:], esz); err != nil {
		return n.Errorf("params: %v", err)
	}
	if _, err := shapeElems(shape, esz); err != nil {
		return n.Errorf("output: %v", err)
	}
	if st.total == 0 && st.slices > 0 && st.slice > 0 {
		return n.Errorf("params %v are empty but indices %v are not", params.Shape, idx.Shape)
	}
	st.address(params.Shape)
	out.Type = params.Type
	n.State = st
	return c.Resize(out, shape)
}

func gatherNDEval(c Context, n *Node) error {
	st, ok := n.State.(*ndState)
	if !ok {
		return n.Errorf("not prepared")
	}
	params, idx, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if len(params.Data) < st.total*st.esz || len(out.Data) < st.slices*st.slice*st.esz || len(idx.Data) < st.slices*st.nd*idx.Type.Size() {
		return n.Errorf("tensor data too small for params %v, indices %v and output %v", params.Shape, idx.Shape, out.Shape)
	}
	var err error
	switch idx.Type {
	case models.Int16:
		err = gatherND(st, out.Data, params.Data, idx.I16())
	case models.Int32:
		err = gatherND(st, out.Data, params.Data, idx.I32())
	default:
		err = gatherND(st, out.Data, params.Data, idx.I64())
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func gatherND[I int16 | int32 | int64](st *ndState, dst, src []byte, idx []I) error {
	row := st.slice * st.esz
	for i := 0; i < st.slices; i++ {
		off, err := ndOffset(st, idx, i)
		if err != nil {
			return err
		}
		copy(dst[i*row:(i+1)*row], src[off*st.esz:off*st.esz+row])
	}
	return nil
}

func scatterNDPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("expects 3 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	idx, upd, shp, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if idx == nil || upd == nil || shp == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	switch upd.Type {
	case models.Float32, models.UInt8, models.Int8, models.Int32, models.Int64, models.Bool:
	default:
		return n.Errorf("updates type %s is not supported", upd.Type)
	}
	if idx.Type != models.Int32 || shp.Type != models.Int32 {
		return n.Errorf("indices and shape must be int32, not %s and %s", idx.Type, shp.Type)
	}
	out.Type = upd.Type
	n.State = &ndState{esz: upd.Type.Size()}
	if !shp.Const {
		c.SetDynamic(out)
		return nil
	}
	shape, err := scatterNDPlan(n.State.(*ndState), idx, upd, shp)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

// scatterNDPlan checks indices and updates against the shape input, as
// TFLite's CheckShapes does, and returns the output shape.
func scatterNDPlan(st *ndState, idx, upd, shp *Tensor) ([]int, error) {
	if idx.Dims() < 1 || upd.Dims() < 1 || shp.Dims() != 1 {
		return nil, fmt.Errorf("indices %v and updates %v need a dimension and shape %v must be a vector", idx.Shape, upd.Shape, shp.Shape)
	}
	if shp.Shape[0] > maxRank {
		return nil, fmt.Errorf("shape has %d values, at most %d dimensions are supported", shp.Shape[0], maxRank)
	}
	shape, err := tensorInts(shp, "shape", make([]int, 0, maxRank))
	if err != nil {
		return nil, err
	}
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape[%d] is %d, must not be negative", i, d)
		}
	}
	outer := idx.Dims() - 1
	for i := 0; i < outer; i++ {
		if i >= upd.Dims() || idx.Shape[i] != upd.Shape[i] {
			return nil, fmt.Errorf("indices %v and updates %v differ in outer dimension %d", idx.Shape, upd.Shape, i)
		}
	}
	nd := idx.Shape[outer]
	if nd > len(shape) || upd.Dims()-outer != len(shape)-nd {
		return nil, fmt.Errorf("updates %v do not fit indices %v into shape %v", upd.Shape, idx.Shape, shape)
	}
	for i := outer; i < upd.Dims(); i++ {
		if upd.Shape[i] != shape[nd+i-outer] {
			return nil, fmt.Errorf("updates %v do not fit indices %v into shape %v", upd.Shape, idx.Shape, shape)
		}
	}
	if _, err := shapeElems(upd.Shape, st.esz); err != nil {
		return nil, fmt.Errorf("updates: %v", err)
	}
	st.nd = nd
	if st.total, err = shapeElems(shape, st.esz); err != nil {
		return nil, fmt.Errorf("output: %v", err)
	}
	if st.slices, err = shapeElems(idx.Shape[:outer], idx.Type.Size()*max(nd, 1)); err != nil {
		return nil, fmt.Errorf("indices: %v", err)
	}
	if st.slice, err = shapeElems(shape[nd:], st.esz); err != nil {
		return nil, fmt.Errorf("output: %v", err)
	}
	if st.total == 0 && st.slices > 0 && st.slice > 0 {
		return nil, fmt.Errorf("output shape %v is empty but indices %v are not", shape, idx.Shape)
	}
	st.address(shape)
	return shape, nil
}

func scatterNDEval(c Context, n *Node) error {
	st, ok := n.State.(*ndState)
	if !ok {
		return n.Errorf("not prepared")
	}
	idx, upd, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if out.Dynamic {
		shape, err := scatterNDPlan(st, idx, upd, c.Input(n, 2))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if len(out.Data) < st.total*st.esz || len(upd.Data) < st.slices*st.slice*st.esz || len(idx.Data) < st.slices*st.nd*4 {
		return n.Errorf("tensor data too small for indices %v, updates %v and output %v", idx.Shape, upd.Shape, out.Shape)
	}
	ix := idx.I32()
	var err error
	switch upd.Type {
	case models.Float32:
		err = scatterND(st, out.F32(), upd.F32(), ix, scatterAdd[float32])
	case models.Int32:
		err = scatterND(st, out.I32(), upd.I32(), ix, scatterAdd[int32])
	case models.Int64:
		err = scatterND(st, out.I64(), upd.I64(), ix, scatterAdd[int64])
	case models.Int8:
		err = scatterND(st, out.I8(), upd.I8(), ix, scatterAdd[int8])
	case models.UInt8:
		err = scatterND(st, out.U8(), upd.U8(), ix, scatterAdd[uint8])
	case models.Bool:
		// Adding bools in C++ is a logical or.
		err = scatterND(st, out.U8(), upd.U8(), ix, func(a, b uint8) uint8 {
			if a != 0 || b != 0 {
				return 1
			}
			return 0
		})
	}
	if err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func scatterAdd[T float32 | int8 | uint8 | int32 | int64](a, b T) T { return a + b }

// scatterND zeroes the output and accumulates every update slice, in index
// order, so duplicate indices sum as in TFLite.
func scatterND[T float32 | int8 | uint8 | int32 | int64](st *ndState, out, upd []T, idx []int32, add func(a, b T) T) error {
	out = out[:st.total]
	clear(out)
	for i := 0; i < st.slices; i++ {
		off, err := ndOffset(st, idx, i)
		if err != nil {
			return err
		}
		dst, src := out[off:off+st.slice], upd[i*st.slice:(i+1)*st.slice]
		for j, v := range src {
			dst[j] = add(dst[j], v)
		}
	}
	return nil
}
