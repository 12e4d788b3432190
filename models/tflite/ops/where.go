package ops

import (
	"github.com/axle-edge/axle/models"
)

// WHERE with one input: the int64 coordinates [count, rank] of the
// condition's non-zero (true) elements in row-major order. The output is
// sized from the data, so it is dynamic unless the condition is constant.

func addWhere(r *Resolver) {
	r.Builtin[OpWhere] = &Kernel{MaxVersion: 2, Prepare: wherePrepare, Eval: whereEval}
}

type whereState struct {
	shape [2]int
}

func wherePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input (the condition) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	cond, out := c.Input(n, 0), c.Output(n, 0)
	if cond == nil || out == nil {
		return n.Errorf("condition and output tensors are required")
	}
	switch cond.Type {
	case models.Bool, models.Float32, models.Int64, models.Int32, models.Int8, models.UInt8, models.UInt32:
	default:
		return n.Errorf("condition tensor %q type %s is not supported", cond.Name, cond.Type)
	}
	if cond.Dims() == 0 {
		return n.Errorf("condition tensor %q must have rank > 0", cond.Name)
	}
	if _, ok := mulChecked(cond.Shape...); !ok {
		return n.Errorf("condition tensor %q shape %v is invalid or too large", cond.Name, cond.Shape)
	}
	out.Type = models.Int64 // as TFLite's Prepare does
	st := &whereState{}
	n.State = st
	if !cond.Const {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, cond, out)
}

func (st *whereState) resize(c Context, n *Node, cond, out *Tensor) error {
	k := cond.NumElements()
	if err := checkData(n, "condition", cond, k); err != nil {
		return err
	}
	st.shape = [2]int{whereCount(cond, k), cond.Dims()}
	if err := c.Resize(out, st.shape[:]); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func whereCount(cond *Tensor, k int) int {
	switch cond.Type {
	case models.Float32:
		return countNonZero(cond.F32()[:k])
	case models.Int64:
		return countNonZero(cond.I64()[:k])
	case models.Int32:
		return countNonZero(cond.I32()[:k])
	case models.UInt32:
		return countNonZero(cond.U32()[:k])
	case models.Int8:
		return countNonZero(cond.I8()[:k])
	default: // bool, uint8: one byte each
		return countNonZero(cond.U8()[:k])
	}
}

func countNonZero[T float32 | int64 | int32 | uint32 | int8 | uint8](s []T) int {
	c := 0
	for _, v := range s {
		if v != 0 {
			c++
		}
	}
	return c
}

func whereEval(c Context, n *Node) error {
	st, ok := n.State.(*whereState)
	if !ok {
		return n.Errorf("not prepared")
	}
	cond, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		if err := st.resize(c, n, cond, out); err != nil {
			return err
		}
	}
	k, rank := cond.NumElements(), cond.Dims()
	if err := checkData(n, "condition", cond, k); err != nil {
		return err
	}
	if err := checkData(n, "output", out, st.shape[0]*rank); err != nil {
		return err
	}
	o := out.I64()[:st.shape[0]*rank]
	w := 0
	for i := 0; i < k; i++ {
		if !whereTrue(cond, i) {
			continue
		}
		rem := i
		for d := rank - 1; d >= 0; d-- {
			o[w+d] = int64(rem % cond.Shape[d])
			rem /= cond.Shape[d]
		}
		w += rank
	}
	return nil
}

func whereTrue(cond *Tensor, i int) bool {
	switch cond.Type {
	case models.Float32:
		return cond.F32()[i] != 0
	case models.Int64:
		return cond.I64()[i] != 0
	case models.Int32:
		return cond.I32()[i] != 0
	case models.UInt32:
		return cond.U32()[i] != 0
	default: // bool, int8, uint8
		return cond.Data[i] != 0
	}
}
