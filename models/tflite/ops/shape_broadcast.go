package ops

import (
	"github.com/axle-edge/axle/models"
)

// RANK, BROADCAST_ARGS and BROADCAST_TO: the shape arithmetic of numpy
// broadcasting as graph operators.
//
//	RANK           [2,3,4]             -> 3 (int32 scalar)
//	BROADCAST_ARGS [2,1,4], [3,1]      -> [2,3,4]
//	BROADCAST_TO   x [3,1], shape [2,3,4] -> x repeated along the 1s

func addBroadcast(r *Resolver) {
	r.Builtin[OpRank] = &Kernel{MaxVersion: 1, Prepare: rankPrepare, Eval: rankEval}
	r.Builtin[OpBroadcastArgs] = &Kernel{MaxVersion: 1, Prepare: broadcastArgsPrepare, Eval: broadcastArgsEval}
	// TFLite registers versions 2 to 4 only: version 1 was withdrawn
	// with its old operator code, so no model asks for it.
	r.Builtin[OpBroadcastTo] = &Kernel{MaxVersion: 4, Prepare: broadcastToPrepare, Eval: broadcastToEval}
}

func rankPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	out.Type = models.Int32
	return c.Resize(out, nil)
}

func rankEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	o := out.I32()
	if len(o) < 1 {
		return n.Errorf("output has no room for the rank")
	}
	o[0] = int32(in.Dims())
	return nil
}

func broadcastArgsPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if a == nil || b == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if a.Type != b.Type || (a.Type != models.Int32 && a.Type != models.Int64) {
		return n.Errorf("shapes must both be int32 or both int64, got %s and %s", a.Type, b.Type)
	}
	if a.Dims() != 1 || b.Dims() != 1 {
		return n.Errorf("shapes must be vectors, got %v and %v", a.Shape, b.Shape)
	}
	if max(a.Shape[0], b.Shape[0]) > maxRank {
		return n.Errorf("shapes of %d and %d dimensions: at most %d are supported", a.Shape[0], b.Shape[0], maxRank)
	}
	out.Type = a.Type
	return c.Resize(out, []int{max(a.Shape[0], b.Shape[0])})
}

func broadcastArgsEval(c Context, n *Node) error {
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	var abuf, bbuf, obuf [maxRank]int
	sa, err := tensorInts(a, "shape 0", abuf[:0])
	if err != nil {
		return n.Errorf("%v", err)
	}
	sb, err := tensorInts(b, "shape 1", bbuf[:0])
	if err != nil {
		return n.Errorf("%v", err)
	}
	shape, err := ewBroadcastShape(n, obuf[:0], sa, sb)
	if err != nil {
		return err
	}
	if len(out.Data) < len(shape)*out.Type.Size() {
		return n.Errorf("output has %d bytes for %d dimensions", len(out.Data), len(shape))
	}
	for i, d := range shape {
		if out.Type == models.Int32 {
			out.I32()[i] = int32(d)
		} else {
			out.I64()[i] = int64(d)
		}
	}
	return nil
}

type broadcastToState struct {
	plan     ewPlan
	esz      int
	inBytes  int
	outBytes int
}

func broadcastToPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	shape := c.Input(n, 1)
	if shape == nil {
		return n.Errorf("shape input is missing")
	}
	if shape.Dims() != 1 {
		return n.Errorf("shape must be a vector, got %v", shape.Shape)
	}
	st := &broadcastToState{esz: in.Type.Size()}
	n.State = st
	if !shape.Const {
		c.SetDynamic(out)
		return nil
	}
	dims, err := st.planFor(n, in, shape)
	if err != nil {
		return err
	}
	return c.Resize(out, dims)
}

// planFor checks that in broadcasts to the shape input's values and plans
// the copy.
func (st *broadcastToState) planFor(n *Node, in, shapeT *Tensor) ([]int, error) {
	if shapeT.NumElements() > maxRank {
		return nil, n.Errorf("shape has %d dimensions, at most %d are supported", shapeT.NumElements(), maxRank)
	}
	dims, err := tensorInts(shapeT, "shape", make([]int, 0, maxRank))
	if err != nil {
		return nil, n.Errorf("%v", err)
	}
	if in.Dims() > len(dims) {
		return nil, n.Errorf("input %v has more dimensions than shape %v", in.Shape, dims)
	}
	off := len(dims) - in.Dims()
	for i, d := range in.Shape {
		if d != 1 && d != dims[off+i] {
			return nil, n.Errorf("input %v does not broadcast to shape %v (dimension %d)", in.Shape, dims, i)
		}
	}
	outElems, err := shapeElems(dims, st.esz)
	if err != nil {
		return nil, n.Errorf("output: %v", err)
	}
	inElems, err := shapeElems(in.Shape, st.esz)
	if err != nil {
		return nil, n.Errorf("input: %v", err)
	}
	st.inBytes, st.outBytes = inElems*st.esz, outElems*st.esz
	if err := st.plan.plan(n, dims, in.Shape); err != nil {
		return nil, err
	}
	return dims, nil
}

func broadcastToEval(c Context, n *Node) error {
	st, ok := n.State.(*broadcastToState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		dims, err := st.planFor(n, in, c.Input(n, 1))
		if err != nil {
			return err
		}
		if err := c.Resize(out, dims); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if len(in.Data) < st.inBytes || len(out.Data) < st.outBytes {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	esz, p := st.esz, &st.plan
	p.rows(func(o, a, _, _, cnt int) {
		dst := out.Data[o*esz : (o+cnt)*esz]
		if p.inner(0) == 1 {
			copy(dst, in.Data[a*esz:(a+cnt)*esz])
			return
		}
		fillPattern(dst, in.Data[a*esz:(a+1)*esz])
	})
	return nil
}
