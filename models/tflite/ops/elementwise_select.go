package ops

import (
	"github.com/axle-edge/axle/models"
)

// SELECT, the first form of SELECT_V2 without general broadcasting: x and y
// have one shape, and the condition either has it too (elementwise) or is a
// vector with one value per outermost row of x (whole rows are selected).

func addSelect(r *Resolver) {
	r.Builtin[OpSelect] = &Kernel{MaxVersion: 4, Prepare: selectPrepare, Eval: selectEval}
}

type selectState struct {
	rows     int // condition values
	rowBytes int // bytes of x each condition value selects
}

func selectPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("expects 3 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	cond, x, y, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if cond == nil || x == nil || y == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if cond.Type != models.Bool {
		return n.Errorf("condition must be bool, got %s", cond.Type)
	}
	if x.Type != y.Type {
		return n.Errorf("value types differ: %s and %s", x.Type, y.Type)
	}
	esz, err := elemSize(x)
	if err != nil {
		return n.Errorf("values: %v", err)
	}
	if !ewSameShape(x.Shape, y.Shape) {
		return n.Errorf("x %v and y %v must have the same shape", x.Shape, y.Shape)
	}
	elems, err := shapeElems(x.Shape, esz)
	if err != nil {
		return n.Errorf("values: %v", err)
	}
	st := &selectState{rows: elems, rowBytes: esz}
	switch {
	case ewSameShape(cond.Shape, x.Shape):
	case cond.Dims() == 1 && x.Dims() > 1 && cond.Shape[0] == x.Shape[0]:
		st.rows = cond.Shape[0]
		if st.rows > 0 {
			st.rowBytes = elems / st.rows * esz
		}
	default:
		return n.Errorf("condition %v must have the shape of x %v or be a vector of its %d rows", cond.Shape, x.Shape, x.Dim(0))
	}
	out.Type = x.Type
	n.State = st
	return c.Resize(out, x.Shape)
}

func selectEval(c Context, n *Node) error {
	st, ok := n.State.(*selectState)
	if !ok {
		return n.Errorf("not prepared")
	}
	cond, x, y, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	total := st.rows * st.rowBytes
	if len(cond.Data) < st.rows || len(x.Data) < total || len(y.Data) < total || len(out.Data) < total {
		return n.Errorf("tensor data too small for condition %v and values %v", cond.Shape, x.Shape)
	}
	rb := st.rowBytes
	for i, v := range cond.Data[:st.rows] {
		src := y.Data
		if v != 0 {
			src = x.Data
		}
		copy(out.Data[i*rb:(i+1)*rb], src[i*rb:(i+1)*rb])
	}
	return nil
}
