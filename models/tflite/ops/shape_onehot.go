package ops

import (
	"github.com/axle-edge/axle/models"
)

// ONE_HOT expands integer indices into on/off vectors of length depth,
// inserted as a new dimension at axis (default: last). Indices outside
// [0, depth) give all-off vectors, as in TFLite.

func addOneHot(r *Resolver) {
	r.Builtin[OpOneHot] = &Kernel{MaxVersion: 1, Prepare: oneHotPrepare, Eval: oneHotEval}
}

type oneHotState struct {
	axis                  int
	prefix, depth, suffix int
}

func oneHotPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 4 || len(n.Outputs) != 1 {
		return n.Errorf("expects 4 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	idx, depth, on, off, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	if idx == nil || depth == nil || on == nil || off == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if idx.Type != models.Int32 && idx.Type != models.Int64 {
		return n.Errorf("indices must be int32 or int64, not %s", idx.Type)
	}
	if depth.Type != models.Int32 || depth.NumElements() != 1 {
		return n.Errorf("depth must be one int32 value")
	}
	if on.Type != off.Type || on.NumElements() != 1 || off.NumElements() != 1 {
		return n.Errorf("on_value and off_value must be single values of one type, got %s %v and %s %v", on.Type, on.Shape, off.Type, off.Shape)
	}
	switch on.Type {
	case models.Float32, models.Int16, models.Int32, models.Int64, models.Int8, models.UInt8, models.Bool:
	default:
		return n.Errorf("value type %s is not supported", on.Type)
	}
	if idx.Dims() >= maxRank {
		return n.Errorf("indices have %d dimensions, at most %d are supported", idx.Dims(), maxRank-1)
	}
	// Without an options table the axis is the last one (TensorFlow's
	// default); a table's axis reads as the schema says.
	axis := -1
	if n.OptsPresent {
		axis = int(n.Opts.(*OneHotOptions).Axis)
	}
	rawAxis := axis
	if axis == -1 {
		axis = idx.Dims()
	}
	if axis < 0 || axis > idx.Dims() {
		return n.Errorf("axis %d is out of range for indices of %d dimensions", rawAxis, idx.Dims())
	}
	st := &oneHotState{axis: axis}
	n.State = st
	out.Type = on.Type
	if !depth.Const {
		c.SetDynamic(out)
		return nil
	}
	shape, err := st.plan(n, idx, depth, on.Type.Size())
	if err != nil {
		return err
	}
	return c.Resize(out, shape)
}

func (st *oneHotState) plan(n *Node, idx, depthT *Tensor, esz int) ([]int, error) {
	d, err := scalarInt(depthT, "depth")
	if err != nil {
		return nil, n.Errorf("%v", err)
	}
	if d < 0 {
		return nil, n.Errorf("depth is %d, must not be negative", d)
	}
	shape := make([]int, 0, idx.Dims()+1)
	shape = append(shape, idx.Shape[:st.axis]...)
	shape = append(shape, d)
	shape = append(shape, idx.Shape[st.axis:]...)
	if _, err := shapeElems(shape, esz); err != nil {
		return nil, n.Errorf("output: %v", err)
	}
	st.prefix, st.suffix, st.depth = 1, 1, d
	for i, v := range idx.Shape {
		if i < st.axis {
			st.prefix *= v
		} else {
			st.suffix *= v
		}
	}
	return shape, nil
}

func oneHotEval(c Context, n *Node) error {
	st, ok := n.State.(*oneHotState)
	if !ok {
		return n.Errorf("not prepared")
	}
	idx, on, off, out := c.Input(n, 0), c.Input(n, 2), c.Input(n, 3), c.Output(n, 0)
	if out.Dynamic {
		shape, err := st.plan(n, idx, c.Input(n, 1), on.Type.Size())
		if err != nil {
			return err
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if err := ewHaveData(n, idx, on, off, out); err != nil {
		return err
	}
	esz := on.Type.Size()
	onB, offB := on.Data[:esz], off.Data[:esz]
	o := 0
	for p := 0; p < st.prefix; p++ {
		for d := 0; d < st.depth; d++ {
			for s := 0; s < st.suffix; s++ {
				var v int64
				if idx.Type == models.Int32 {
					v = int64(idx.I32()[p*st.suffix+s])
				} else {
					v = idx.I64()[p*st.suffix+s]
				}
				src := offB
				if v == int64(d) {
					src = onB
				}
				copy(out.Data[o:o+esz], src)
				o += esz
			}
		}
	}
	return nil
}
