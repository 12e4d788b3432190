package ops

import (
	"github.com/axle-edge/axle/models"
)

// LOGICAL_AND, LOGICAL_OR (broadcasting) and LOGICAL_NOT on bool tensors.
// Any non-zero byte counts as true; outputs are 0 or 1.

func addLogical(r *Resolver) {
	r.Builtin[OpLogicalAnd] = &Kernel{MaxVersion: 1, Prepare: logicalPrepare, Eval: logicalEval}
	r.Builtin[OpLogicalOr] = &Kernel{MaxVersion: 1, Prepare: logicalPrepare, Eval: logicalEval}
	r.Builtin[OpLogicalNot] = &Kernel{MaxVersion: 1, Prepare: logicalPrepare, Eval: logicalEval}
}

type logicalState struct {
	plan  ewPlan
	shape [ewMaxDims]int
}

func logicalPrepare(c Context, n *Node) error {
	want := 2
	if n.Op == OpLogicalNot {
		want = 1
	}
	if len(n.Inputs) != want || len(n.Outputs) != 1 {
		return n.Errorf("expects %d inputs and 1 output, got %d and %d", want, len(n.Inputs), len(n.Outputs))
	}
	out := c.Output(n, 0)
	var shapes [2][]int
	for i := range want {
		in := c.Input(n, i)
		if in == nil || out == nil {
			return n.Errorf("missing input or output tensor")
		}
		if in.Type != models.Bool {
			return n.Errorf("input %d must be bool, got %s", i, in.Type)
		}
		shapes[i] = in.Shape
	}
	st, _ := n.State.(*logicalState)
	if st == nil {
		st = &logicalState{}
	}
	shape, err := ewBroadcastShape(n, st.shape[:0], shapes[:want]...)
	if err != nil {
		return err
	}
	if err := st.plan.plan(n, shape, shapes[:want]...); err != nil {
		return err
	}
	out.Type = models.Bool
	n.State = st
	return c.Resize(out, shape)
}

func logicalEval(c Context, n *Node) error {
	st, ok := n.State.(*logicalState)
	if !ok {
		return n.Errorf("not prepared")
	}
	out := c.Output(n, 0)
	a := c.Input(n, 0)
	if err := ewHaveData(n, a, out); err != nil {
		return err
	}
	p := &st.plan
	o := out.U8()[:p.n]
	if n.Op == OpLogicalNot {
		for i, v := range a.U8()[:p.n] {
			o[i] = logicalByte(v == 0)
		}
		return nil
	}
	b := c.Input(n, 1)
	if err := ewHaveData(n, b); err != nil {
		return err
	}
	and := n.Op == OpLogicalAnd
	floorRows(p, a.I8(), b.I8(), out.I8()[:p.n], func(x, y int8) int8 {
		if and {
			return int8(logicalByte(x != 0 && y != 0))
		}
		return int8(logicalByte(x != 0 || y != 0))
	})
	return nil
}

func logicalByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
