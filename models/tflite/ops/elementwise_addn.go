package ops

import (
	"github.com/axle-edge/axle/models"
)

// ADD_N sums any number of same-shaped float32 or int32 tensors, adding
// the inputs in order.

func addAddN(r *Resolver) {
	r.Builtin[OpAddN] = &Kernel{MaxVersion: 1, Prepare: addNPrepare, Eval: addNEval}
}

func addNPrepare(c Context, n *Node) error {
	if len(n.Inputs) < 1 || len(n.Outputs) != 1 {
		return n.Errorf("expects at least 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	first, out := c.Input(n, 0), c.Output(n, 0)
	if first == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if first.Type != models.Float32 && first.Type != models.Int32 {
		return n.Errorf("input type %s is not supported", first.Type)
	}
	for i := range n.Inputs {
		in := c.Input(n, i)
		if in == nil {
			return n.Errorf("input %d is missing", i)
		}
		if in.Type != first.Type || !ewSameShape(in.Shape, first.Shape) {
			return n.Errorf("input %d is %s %v, input 0 is %s %v: all must match", i, in.Type, in.Shape, first.Type, first.Shape)
		}
	}
	if _, err := shapeElems(first.Shape, first.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	out.Type = first.Type
	return c.Resize(out, first.Shape)
}

func addNEval(c Context, n *Node) error {
	out := c.Output(n, 0)
	k := out.NumElements()
	for i := range n.Inputs {
		if err := ewHaveData(n, c.Input(n, i)); err != nil {
			return err
		}
	}
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	if out.Type == models.Float32 {
		addN(c, n, out.F32()[:k], (*Tensor).F32)
	} else {
		addN(c, n, out.I32()[:k], (*Tensor).I32)
	}
	return nil
}

func addN[T float32 | int32](c Context, n *Node, o []T, view func(*Tensor) []T) {
	copy(o, view(c.Input(n, 0)))
	for i := 1; i < len(n.Inputs); i++ {
		for j, v := range view(c.Input(n, i))[:len(o)] {
			o[j] += v
		}
	}
}
