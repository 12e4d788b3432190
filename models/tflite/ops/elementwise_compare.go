package ops

import (
	"github.com/axle-edge/axle/models"
)

// Comparisons (bool output, broadcasting) and SELECT_V2.

func addCompare(r *Resolver) {
	cmp := func(op Op, v int) {
		r.Builtin[op] = &Kernel{MaxVersion: v, Prepare: ewComparePrepare, Eval: ewCompareEval}
	}
	cmp(OpEqual, 5)
	cmp(OpNotEqual, 4)
	cmp(OpLess, 3)
	cmp(OpLessEqual, 2)
	cmp(OpGreater, 2)
	cmp(OpGreaterEqual, 3)
	r.Builtin[OpSelectV2] = &Kernel{MaxVersion: 2, Prepare: ewSelectPrepare, Eval: ewSelectEval}
}

// ewCompare is the state of a comparison node. Quantized 8-bit inputs (and
// quantized int16 for EQUAL/NOT_EQUAL) are compared after bringing both to
// a common scale, as TFLite's ComparisonWithScaling does.
type ewCompare struct {
	plan   ewPlan
	scaled bool
	q      ewQParams
	shape  [ewMaxDims * 2]int
}

func ewComparePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if a == nil || b == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if a.Type != b.Type {
		return n.Errorf("input types differ: %s and %s", a.Type, b.Type)
	}
	equality := n.Op == OpEqual || n.Op == OpNotEqual
	switch a.Type {
	case models.Float32, models.Int16, models.Int32, models.Int64, models.Int8, models.UInt8:
	case models.Bool:
		if !equality {
			return n.Errorf("input type bool is not supported")
		}
	default:
		return n.Errorf("input type %s is not supported", a.Type)
	}
	st, _ := n.State.(*ewCompare)
	if st == nil {
		st = &ewCompare{}
	}
	shape, err := ewBroadcastShape(n, st.shape[:0], a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if err := st.plan.plan(n, shape, a.Shape, b.Shape); err != nil {
		return err
	}
	st.scaled = false
	scalable := a.Type == models.Int8 || a.Type == models.UInt8 || (equality && a.Type == models.Int16)
	if scalable && (ewHasQuant(a) || ewHasQuant(b)) {
		q1, err := ewTensorQuant(n, a, "input 0")
		if err != nil {
			return err
		}
		q2, err := ewTensorQuant(n, b, "input 1")
		if err != nil {
			return err
		}
		st.scaled = true
		st.q = ewQParams{in1Off: -q1.zp, in2Off: -q2.zp, leftShift: 8}
		st.q.in1Mult, st.q.in1Shift = QuantizeMultiplier(q1.scale)
		st.q.in2Mult, st.q.in2Shift = QuantizeMultiplier(q2.scale)
	}
	out.Type = models.Bool
	n.State = st
	return c.Resize(out, shape)
}

func ewCompareEval(c Context, n *Node) error {
	st, ok := n.State.(*ewCompare)
	if !ok {
		return n.Errorf("not prepared")
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	p := &st.plan
	o := out.Bool()[:p.n]
	if st.scaled {
		switch a.Type {
		case models.Int8:
			ewCompareScaled(n.Op, st, a.I8(), b.I8(), o)
		case models.UInt8:
			ewCompareScaled(n.Op, st, a.U8(), b.U8(), o)
		default:
			ewCompareScaled(n.Op, st, a.I16(), b.I16(), o)
		}
		return nil
	}
	switch a.Type {
	case models.Float32:
		ewCompareRows(n.Op, p, a.F32(), b.F32(), o)
	case models.Int8:
		ewCompareRows(n.Op, p, a.I8(), b.I8(), o)
	case models.UInt8:
		ewCompareRows(n.Op, p, a.U8(), b.U8(), o)
	case models.Int16:
		ewCompareRows(n.Op, p, a.I16(), b.I16(), o)
	case models.Int32:
		ewCompareRows(n.Op, p, a.I32(), b.I32(), o)
	case models.Int64:
		ewCompareRows(n.Op, p, a.I64(), b.I64(), o)
	case models.Bool:
		ewCompareBool(n.Op == OpEqual, p, a.U8(), b.U8(), o)
	}
	return nil
}

type ewOrdered interface {
	~float32 | ~int8 | ~uint8 | ~int16 | ~int32 | ~int64
}

// ewStrides returns the index multipliers of a row's operands: 1 for a
// full row, 0 for a repeated element.
func ewStrides(o, x, y int) (sx, sy int) {
	if o == 1 {
		return 0, 0
	}
	return min(x-1, 1), min(y-1, 1)
}

func ewCompareRows[T ewOrdered](op Op, p *ewPlan, a, b []T, o []bool) {
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := ewStrides(n, len(x), len(y))
		switch op {
		case OpEqual:
			for i := range o {
				o[i] = x[i*sx] == y[i*sy]
			}
		case OpNotEqual:
			for i := range o {
				o[i] = x[i*sx] != y[i*sy]
			}
		case OpLess:
			for i := range o {
				o[i] = x[i*sx] < y[i*sy]
			}
		case OpLessEqual:
			for i := range o {
				o[i] = x[i*sx] <= y[i*sy]
			}
		case OpGreater:
			for i := range o {
				o[i] = x[i*sx] > y[i*sy]
			}
		case OpGreaterEqual:
			for i := range o {
				o[i] = x[i*sx] >= y[i*sy]
			}
		}
	})
}

// ewCompareBool compares bool tensors read as bytes, so that any nonzero
// byte of an untrusted constant counts as true.
func ewCompareBool(eq bool, p *ewPlan, a, b []uint8, o []bool) {
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := ewStrides(n, len(x), len(y))
		for i := range o {
			o[i] = (x[i*sx] != 0) == (y[i*sy] != 0) == eq
		}
	})
}

// ewCompareScaled compares quantized values on a common scale: each code is
// offset, shifted left 8 bits and multiplied by its tensor's scale.
func ewCompareScaled[T int8 | uint8 | int16](op Op, st *ewCompare, a, b []T, o []bool) {
	p, q := &st.plan, &st.q
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := ewStrides(n, len(x), len(y))
		for i := range o {
			u := fxMulQ((q.in1Off+int32(x[i*sx]))<<q.leftShift, q.in1Mult, q.in1Shift)
			v := fxMulQ((q.in2Off+int32(y[i*sy]))<<q.leftShift, q.in2Mult, q.in2Shift)
			var r bool
			switch op {
			case OpEqual:
				r = u == v
			case OpNotEqual:
				r = u != v
			case OpLess:
				r = u < v
			case OpLessEqual:
				r = u <= v
			case OpGreater:
				r = u > v
			default:
				r = u >= v
			}
			o[i] = r
		}
	})
}

// ---- SELECT_V2 ----

type ewSelect struct {
	plan  ewPlan
	shape [ewMaxDims * 3]int
}

func ewSelectPrepare(c Context, n *Node) error {
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
	switch x.Type.Size() {
	case 1, 2, 4, 8:
	default:
		return n.Errorf("value type %s is not supported", x.Type)
	}
	st, _ := n.State.(*ewSelect)
	if st == nil {
		st = &ewSelect{}
	}
	out.Type = x.Type
	n.State = st
	if cond.NumElements() == 1 && x.NumElements() == 1 && y.NumElements() == 1 && out.NumElements() == 1 {
		// TFLite keeps the declared output shape when everything is a
		// single element.
		return st.plan.plan(n, out.Shape, nil, nil, nil)
	}
	shape, err := ewBroadcastShape(n, st.shape[:0], cond.Shape, x.Shape, y.Shape)
	if err != nil {
		return err
	}
	if err := st.plan.plan(n, shape, cond.Shape, x.Shape, y.Shape); err != nil {
		return err
	}
	return c.Resize(out, shape)
}

func ewSelectEval(c Context, n *Node) error {
	st, ok := n.State.(*ewSelect)
	if !ok {
		return n.Errorf("not prepared")
	}
	cond, x, y, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if err := ewHaveData(n, cond, x, y, out); err != nil {
		return err
	}
	p := &st.plan
	cb := cond.U8()
	switch x.Type.Size() {
	case 1:
		ewSelectRows(p, cb, x.U8(), y.U8(), out.U8()[:p.n])
	case 2:
		ewSelectRows(p, cb, x.U16(), y.U16(), out.U16()[:p.n])
	case 4:
		ewSelectRows(p, cb, x.U32(), y.U32(), out.U32()[:p.n])
	case 8:
		ewSelectRows(p, cb, x.I64(), y.I64(), out.I64()[:p.n])
	}
	return nil
}

func ewSelectRows[T uint8 | uint16 | uint32 | int64](p *ewPlan, cond []uint8, a, b, o []T) {
	p.rows(func(oo, co, ao, bo, n int) {
		o := o[oo : oo+n]
		cs, x, y := ewRow(p, 0, cond, co, n), ewRow(p, 1, a, ao, n), ewRow(p, 2, b, bo, n)
		sc := min(len(cs)-1, 1)
		sx, sy := ewStrides(n, len(x), len(y))
		if n == 1 {
			sc = 0
		}
		for i := range o {
			if cs[i*sc] != 0 {
				o[i] = x[i*sx]
			} else {
				o[i] = y[i*sy]
			}
		}
	})
}
