package ops

import (
	"cmp"
	"slices"

	"github.com/axle-edge/axle/models"
)

// TOPK_V2: the k largest values of each row (last dimension) in descending
// order, and their indices; equal values keep index order, as TFLite's
// TopContainer does. Quantized values are compared as codes, which orders
// them the same way.

func addTopK(r *Resolver) {
	r.Builtin[OpTopkV2] = &Kernel{MaxVersion: 3, Prepare: topKPrepare, Eval: topKEval}
}

type topKState struct {
	order []int32 // one row's indices, sorted in Eval
}

func topKPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 2 {
		return n.Errorf("expects 2 inputs and 2 outputs, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, k, vals, idx := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0), c.Output(n, 1)
	if in == nil || k == nil || vals == nil || idx == nil {
		return n.Errorf("missing input or output tensor")
	}
	switch in.Type {
	case models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if (k.Type != models.Int32 && k.Type != models.Int16) || k.NumElements() != 1 {
		return n.Errorf("k must be one int32 or int16 value, got %s %v", k.Type, k.Shape)
	}
	if idx.Type != models.Int32 && idx.Type != models.Int16 {
		idx.Type = models.Int32
	}
	if in.Dims() < 1 {
		return n.Errorf("input must have at least one dimension")
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	st := &topKState{}
	var err error
	if st.order, err = allocSlice[int32](c, in.Shape[in.Dims()-1]); err != nil {
		return n.Errorf("row scratch: %v", err)
	}
	n.State = st
	vals.Type = in.Type
	if !k.Const {
		c.SetDynamic(vals)
		c.SetDynamic(idx)
		return nil
	}
	shape, err := topKShape(n, in, k)
	if err != nil {
		return err
	}
	if err := c.Resize(vals, shape); err != nil {
		return err
	}
	return c.Resize(idx, shape)
}

func topKShape(n *Node, in, kT *Tensor) ([]int, error) {
	var k int
	if kT.Type == models.Int16 {
		if len(kT.I16()) < 1 {
			return nil, n.Errorf("k has no data")
		}
		k = int(kT.I16()[0])
	} else {
		v, err := scalarInt(kT, "k")
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		k = v
	}
	last := in.Shape[in.Dims()-1]
	if k < 0 || k > last {
		return nil, n.Errorf("k is %d, must be in [0, %d]", k, last)
	}
	shape := slices.Clone(in.Shape)
	shape[len(shape)-1] = k
	return shape, nil
}

func topKEval(c Context, n *Node) error {
	st, ok := n.State.(*topKState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, vals, idx := c.Input(n, 0), c.Output(n, 0), c.Output(n, 1)
	if vals.Dynamic {
		shape, err := topKShape(n, in, c.Input(n, 1))
		if err != nil {
			return err
		}
		if err := c.Resize(vals, shape); err != nil {
			return n.Errorf("resize values: %v", err)
		}
		if err := c.Resize(idx, shape); err != nil {
			return n.Errorf("resize indices: %v", err)
		}
	}
	if err := ewHaveData(n, in, vals, idx); err != nil {
		return err
	}
	switch in.Type {
	case models.Float32:
		topK(st, in.F32(), vals.F32(), idx, in, vals)
	case models.UInt8:
		topK(st, in.U8(), vals.U8(), idx, in, vals)
	case models.Int8:
		topK(st, in.I8(), vals.I8(), idx, in, vals)
	case models.Int16:
		topK(st, in.I16(), vals.I16(), idx, in, vals)
	case models.Int32:
		topK(st, in.I32(), vals.I32(), idx, in, vals)
	default:
		topK(st, in.I64(), vals.I64(), idx, in, vals)
	}
	return nil
}

func topK[T cmp.Ordered](st *topKState, x, v []T, idx, in, vals *Tensor) {
	n := in.Shape[in.Dims()-1]
	k := vals.Shape[vals.Dims()-1]
	if n == 0 {
		return
	}
	rows := in.NumElements() / n
	for r := 0; r < rows; r++ {
		row := x[r*n : (r+1)*n]
		order := st.order[:n]
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(row[b], row[a]) })
		for j, i := range order[:k] {
			v[r*k+j] = row[i]
			if idx.Type == models.Int16 {
				idx.I16()[r*k+j] = int16(i)
			} else {
				idx.I32()[r*k+j] = i
			}
		}
	}
}
