package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// addElementwise registers this family's kernels: binary arithmetic with
// broadcasting (this file), comparisons and SELECT_V2
// (elementwise_compare.go) and the unary math ops (elementwise_unary.go).
// MaxVersion follows the TFLite builtin op resolver.
func addElementwise(r *Resolver) {
	bin := func(op Op, v int) {
		r.Builtin[op] = &Kernel{MaxVersion: v, Prepare: ewBinaryPrepare, Eval: ewBinaryEval}
	}
	bin(OpAdd, 6)
	bin(OpSub, 5)
	bin(OpMul, 8)
	bin(OpDiv, 2)
	bin(OpSquaredDifference, 2)
	bin(OpMaximum, 4)
	bin(OpMinimum, 4)
	addCompare(r)
	addUnary(r)
}

// ewPath is how a binary node computes, chosen in Prepare.
type ewPath uint8

const (
	ewPlain    ewPath = iota // native arithmetic on the element type
	ewQuant                  // quantized 8/16-bit: rescale, compute, requantize
	ewPOT16                  // int16 ADD/SUB with power-of-two scales
	ewMul16to8               // int16 x int16 -> int8/uint8 MUL
	ewRaw                    // MAXIMUM/MINIMUM on raw codes
)

// ewBinary is the state of a binary arithmetic node.
type ewBinary struct {
	plan  ewPlan
	path  ewPath
	fLo   float32 // fused activation clamp for float outputs
	fHi   float32
	iLo   int64 // fused activation clamp for integer outputs
	iHi   int64
	q     ewQParams
	add8  *ewAdd8 // same-shape 8-bit ADD/SUB tables, nil otherwise
	shape [ewMaxDims * 2]int
}

// ewQParams are the fixed-point parameters of a quantized binary op, named
// as in TFLite's ArithmeticParams.
type ewQParams struct {
	in1Off, in2Off, outOff    int32
	in1Mult, in2Mult, outMult int32
	in1Shift, in2Shift        int
	outShift                  int
	leftShift                 int
	actLo, actHi              int32
}

func ewBinaryPrepare(c Context, n *Node) error {
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
	st, _ := n.State.(*ewBinary)
	if st == nil {
		st = &ewBinary{}
	}
	shape, err := ewBroadcastShape(n, st.shape[:0], a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if err := st.plan.plan(n, shape, a.Shape, b.Shape); err != nil {
		return err
	}
	// As in TFLite, the output takes the input type (MUL checks it instead,
	// for its int16 x int16 -> 8-bit form); the interpreter plans memory
	// after Prepare.
	if n.Op != OpMul {
		out.Type = a.Type
	} else if out.Type != a.Type && !(a.Type == models.Int16 && (out.Type == models.Int8 || out.Type == models.UInt8)) {
		return n.Errorf("input type %s with output type %s is not supported", a.Type, out.Type)
	}
	act := ActNone
	if n.Op == OpAdd || n.Op == OpSub || n.Op == OpMul || n.Op == OpDiv {
		if act, err = checkEwActivation(n, fusedActivation(n)); err != nil {
			return err
		}
	}
	st.fLo, st.fHi = act.FloatRange()
	if err := st.prepareType(n, a, b, out, act); err != nil {
		return err
	}
	n.State = st
	return c.Resize(out, shape)
}

// prepareType checks the element type and computes the quantized
// parameters the way TFLite's Prepare does for each op.
func (st *ewBinary) prepareType(n *Node, a, b, out *Tensor, act Activation) error {
	st.path = ewPlain
	add8 := st.add8
	st.add8 = nil
	t := a.Type
	unsupported := func() error {
		return n.Errorf("input type %s (output %s) is not supported", t, out.Type)
	}
	if n.Op == OpMaximum || n.Op == OpMinimum {
		switch t {
		case models.Float32, models.UInt8, models.Int8, models.Int16, models.Int32, models.Int64:
			st.path = ewRaw
			return nil
		}
		return unsupported()
	}
	switch t {
	case models.Float32:
		return nil
	case models.Int32, models.Int64:
		if n.Op == OpDiv && t == models.Int64 {
			return unsupported()
		}
		st.iLo, st.iHi = ewIntActRange(act, t)
		return nil
	case models.Int8, models.UInt8:
		if n.Op == OpSquaredDifference && t == models.UInt8 {
			return unsupported()
		}
	case models.Int16:
		if !ewHasQuant(out) && n.Op != OpDiv && n.Op != OpSquaredDifference {
			// Unquantized int16: plain integer arithmetic.
			st.iLo, st.iHi = ewIntActRange(act, t)
			return nil
		}
		if n.Op == OpSquaredDifference {
			return unsupported()
		}
	default:
		return unsupported()
	}
	q1, err := ewTensorQuant(n, a, "input 0")
	if err != nil {
		return err
	}
	q2, err := ewTensorQuant(n, b, "input 1")
	if err != nil {
		return err
	}
	qo, err := ewTensorQuant(n, out, "output")
	if err != nil {
		return err
	}
	p := &st.q
	*p = ewQParams{in1Off: -q1.zp, in2Off: -q2.zp, outOff: qo.zp}
	p.actLo, p.actHi = ewActRange(act, out.Type, qo)
	st.path = ewQuant
	switch n.Op {
	case OpAdd, OpSub:
		if t == models.Int16 {
			if q1.zp != 0 || q2.zp != 0 || qo.zp != 0 {
				return n.Errorf("int16 inputs and output must have zero point 0, got %d, %d and %d", q1.zp, q2.zp, qo.zp)
			}
			// pot_scale_int16 defaults to true in the schema, but TFLite
			// reads false when the options table is missing altogether.
			pot := n.OptsPresent && potScaleInt16(n)
			if pot {
				l1, ok1 := ewCheckedLog2(q1.scale)
				l2, ok2 := ewCheckedLog2(q2.scale)
				lo, ok3 := ewCheckedLog2(qo.scale)
				if ok1 && ok2 && ok3 {
					p.in1Shift, p.in2Shift = l1-lo, l2-lo
					if (p.in1Shift != 0 && p.in2Shift != 0) || p.in1Shift > 0 || p.in2Shift > 0 {
						return n.Errorf("power-of-two int16 scales need one input at the output scale and the other finer, got shifts %d and %d", p.in1Shift, p.in2Shift)
					}
					st.path = ewPOT16
					return nil
				}
			}
		}
		p.leftShift = 20
		if t == models.Int16 {
			p.leftShift = 15
		}
		twiceMax := 2 * max(q1.scale, q2.scale)
		p.in1Mult, p.in1Shift = QuantizeMultiplier(q1.scale / twiceMax)
		p.in2Mult, p.in2Shift = QuantizeMultiplier(q2.scale / twiceMax)
		p.outMult, p.outShift = QuantizeMultiplier(twiceMax / (float64(int(1)<<p.leftShift) * qo.scale))
		if t != models.Int16 && ewAdd8Usable(p, a.NumElements(), b.NumElements(), st.plan.n) {
			if add8 == nil {
				add8 = &ewAdd8{}
			}
			st.add8 = add8
			st.add8.build(p, t == models.Int8, n.Op == OpSub)
		}
	case OpSquaredDifference:
		p.leftShift = 7
		twiceMax := 2 * max(q1.scale, q2.scale)
		p.in1Mult, p.in1Shift = QuantizeMultiplier(q1.scale / twiceMax)
		p.in2Mult, p.in2Shift = QuantizeMultiplier(q2.scale / twiceMax)
		p.outMult, p.outShift = QuantizeMultiplier(twiceMax * twiceMax / (float64(int(1)<<(2*p.leftShift)) * qo.scale))
		p.actLo, p.actHi = TypeRange(out.Type)
	case OpMul:
		if t == models.Int16 && out.Type != models.Int16 {
			st.path = ewMul16to8
			return nil
		}
		if t == models.Int16 && (q1.zp != 0 || q2.zp != 0 || qo.zp != 0) {
			return n.Errorf("int16 inputs and output must have zero point 0, got %d, %d and %d", q1.zp, q2.zp, qo.zp)
		}
		// TFLite computes these multipliers in float.
		p.outMult, p.outShift = QuantizeMultiplier(float64(float32(q1.f32*q2.f32) / qo.f32))
	case OpDiv:
		p.outMult, p.outShift = QuantizeMultiplier(float64(q1.f32 / float32(q2.f32*qo.f32)))
	}
	return nil
}

// ewIntActRange is the clamp range of a fused activation on an unquantized
// integer output (TFLite's CalculateActivationRange<T>).
func ewIntActRange(a Activation, t models.DType) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	switch t {
	case models.Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case models.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	}
	switch a {
	case ActRelu:
		lo = 0
	case ActRelu6:
		lo, hi = 0, 6
	case ActReluN1To1:
		lo, hi = -1, 1
	}
	return lo, hi
}

func ewBinaryEval(c Context, n *Node) error {
	st, ok := n.State.(*ewBinary)
	if !ok {
		return n.Errorf("not prepared")
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	p := &st.plan
	switch st.path {
	case ewRaw:
		return ewMinMax(n, p, a, b, out)
	case ewQuant:
		switch {
		case st.add8 != nil && a.Type == models.Int8:
			ewAdd8Rows(st.add8, &st.q, a.I8(), b.I8(), out.I8()[:p.n])
			return nil
		case st.add8 != nil:
			ewAdd8Rows(st.add8, &st.q, a.U8(), b.U8(), out.U8()[:p.n])
			return nil
		}
		switch a.Type {
		case models.Int8:
			return ewQuantRows(n, st, a.I8(), b.I8(), b.NumElements(), out.I8()[:p.n])
		case models.UInt8:
			return ewQuantRows(n, st, a.U8(), b.U8(), b.NumElements(), out.U8()[:p.n])
		default:
			return ewQuantRows(n, st, a.I16(), b.I16(), b.NumElements(), out.I16()[:p.n])
		}
	case ewPOT16:
		ewPOT16Rows(n.Op, st, a.I16(), b.I16(), out.I16()[:p.n])
		return nil
	case ewMul16to8:
		if out.Type == models.Int8 {
			ewMul16Rows(st, a.I16(), b.I16(), out.I8()[:p.n])
		} else {
			ewMul16Rows(st, a.I16(), b.I16(), out.U8()[:p.n])
		}
		return nil
	}
	switch a.Type {
	case models.Float32:
		if a.NumElements() == p.n && b.NumElements() == p.n {
			ewF32SameOn(bestPath(), n.Op, out.F32()[:p.n], a.F32(), b.F32(), st.fLo, st.fHi)
			break
		}
		ewArithRows(n.Op, p, a.F32(), b.F32(), out.F32()[:p.n], st.fLo, st.fHi)
	case models.Int32:
		if n.Op == OpDiv {
			if err := ewNonZero(n, b.I32()[:b.NumElements()], 0); err != nil {
				return err
			}
		}
		ewArithRows(n.Op, p, a.I32(), b.I32(), out.I32()[:p.n], int32(st.iLo), int32(st.iHi))
	case models.Int64:
		ewArithRows(n.Op, p, a.I64(), b.I64(), out.I64()[:p.n], st.iLo, st.iHi)
	case models.Int16:
		ewArithRows(n.Op, p, a.I16(), b.I16(), out.I16()[:p.n], int16(st.iLo), int16(st.iHi))
	default:
		return n.Errorf("input type %s is not supported", a.Type)
	}
	return nil
}

// ewNonZero fails when a divisor element equals the zero code.
func ewNonZero[T int8 | uint8 | int16 | int32](n *Node, s []T, zero int32) error {
	for i, v := range s {
		if int32(v) == zero {
			return n.Errorf("division by zero: element %d of the divisor is zero", i)
		}
	}
	return nil
}

type ewNum interface {
	~float32 | ~int16 | ~int32 | ~int64
}

// ewArithRows runs a plain binary op over the plan. The operation is
// selected once per row; every case has its own loop so that the
// arithmetic inlines.
func ewArithRows[T ewNum](op Op, p *ewPlan, a, b, o []T, lo, hi T) {
	p.rows(func(oo, ao, bo, _, n int) {
		ewArithRow(op, o[oo:oo+n], ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n), lo, hi)
	})
}

func ewClamp[T ewNum](x, lo, hi T) T {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// ewArithRow computes one row. a and b have either len(o) elements or one
// element that is repeated along the row.
func ewArithRow[T ewNum](op Op, o, a, b []T, lo, hi T) {
	n := len(o)
	switch {
	case len(a) == n && len(b) == n:
		a, b = a[:n], b[:n]
		switch op {
		case OpAdd:
			for i := range o {
				o[i] = ewClamp(a[i]+b[i], lo, hi)
			}
		case OpSub:
			for i := range o {
				o[i] = ewClamp(a[i]-b[i], lo, hi)
			}
		case OpMul:
			for i := range o {
				o[i] = ewClamp(a[i]*b[i], lo, hi)
			}
		case OpDiv:
			for i := range o {
				o[i] = ewClamp(a[i]/b[i], lo, hi)
			}
		case OpSquaredDifference:
			for i := range o {
				d := a[i] - b[i]
				o[i] = d * d
			}
		}
	case len(a) == 1:
		x := a[0]
		b = b[:n]
		switch op {
		case OpAdd:
			for i := range o {
				o[i] = ewClamp(x+b[i], lo, hi)
			}
		case OpSub:
			for i := range o {
				o[i] = ewClamp(x-b[i], lo, hi)
			}
		case OpMul:
			for i := range o {
				o[i] = ewClamp(x*b[i], lo, hi)
			}
		case OpDiv:
			for i := range o {
				o[i] = ewClamp(x/b[i], lo, hi)
			}
		case OpSquaredDifference:
			for i := range o {
				d := x - b[i]
				o[i] = d * d
			}
		}
	default:
		y := b[0]
		a = a[:n]
		switch op {
		case OpAdd:
			for i := range o {
				o[i] = ewClamp(a[i]+y, lo, hi)
			}
		case OpSub:
			for i := range o {
				o[i] = ewClamp(a[i]-y, lo, hi)
			}
		case OpMul:
			for i := range o {
				o[i] = ewClamp(a[i]*y, lo, hi)
			}
		case OpDiv:
			for i := range o {
				o[i] = ewClamp(a[i]/y, lo, hi)
			}
		case OpSquaredDifference:
			for i := range o {
				d := a[i] - y
				o[i] = d * d
			}
		}
	}
}

// ewMinMax is MAXIMUM/MINIMUM on raw values (quantized inputs share the
// output's quantization). A NaN on the left yields the right operand, as in
// TFLite's comparison-based kernel.
func ewMinMax(n *Node, p *ewPlan, a, b, out *Tensor) error {
	maxOp := n.Op == OpMaximum
	switch a.Type {
	case models.Float32:
		ewMinMaxRows(maxOp, p, a.F32(), b.F32(), out.F32()[:p.n])
	case models.UInt8:
		ewMinMaxRows(maxOp, p, a.U8(), b.U8(), out.U8()[:p.n])
	case models.Int8:
		ewMinMaxRows(maxOp, p, a.I8(), b.I8(), out.I8()[:p.n])
	case models.Int16:
		ewMinMaxRows(maxOp, p, a.I16(), b.I16(), out.I16()[:p.n])
	case models.Int32:
		ewMinMaxRows(maxOp, p, a.I32(), b.I32(), out.I32()[:p.n])
	case models.Int64:
		ewMinMaxRows(maxOp, p, a.I64(), b.I64(), out.I64()[:p.n])
	}
	return nil
}

func ewMinMaxRows[T float32 | uint8 | int8 | int16 | int32 | int64](maxOp bool, p *ewPlan, a, b, o []T) {
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := min(len(x)-1, 1), min(len(y)-1, 1)
		if len(o) == 1 {
			sx, sy = 0, 0
		}
		if maxOp {
			for i := range o {
				u, v := x[i*sx], y[i*sy]
				if u > v {
					o[i] = u
				} else {
					o[i] = v
				}
			}
			return
		}
		for i := range o {
			u, v := x[i*sx], y[i*sy]
			if u < v {
				o[i] = u
			} else {
				o[i] = v
			}
		}
	})
}

// ---- quantized paths ----

// addSub is TFLite's 8-bit/int16 general ADD and SUB: both inputs are
// shifted left (20 or 15 bits), brought to a common scale, added and
// requantized.
func (q *ewQParams) addSub(x, y int32, sub bool) int32 {
	sx := fxMulQ((q.in1Off+x)*(int32(1)<<q.leftShift), q.in1Mult, q.in1Shift)
	sy := fxMulQ((q.in2Off+y)*(int32(1)<<q.leftShift), q.in2Mult, q.in2Shift)
	s := sx + sy
	if sub {
		s = sx - sy
	}
	r := fxMulQ(s, q.outMult, q.outShift) + q.outOff
	return min(max(r, q.actLo), q.actHi)
}

func (q *ewQParams) sqDiff(x, y int32) int32 {
	sx := fxMulQ((q.in1Off+x)*(int32(1)<<q.leftShift), q.in1Mult, q.in1Shift)
	sy := fxMulQ((q.in2Off+y)*(int32(1)<<q.leftShift), q.in2Mult, q.in2Shift)
	d := sx - sy
	r := fxMulQ(d*d, q.outMult, q.outShift) + q.outOff
	return min(max(r, q.actLo), q.actHi)
}

func (q *ewQParams) mul(x, y int32) int32 {
	r := q.outOff + fxMulQ((q.in1Off+x)*(q.in2Off+y), q.outMult, q.outShift)
	return min(max(r, q.actLo), q.actHi)
}

// div is TFLite's quantized DIV: the divisor's reciprocal in fixed point,
// the dividend normalised by its headroom, one requantization.
func (q *ewQParams) div(x, y int32) int32 {
	v1, v2 := q.in1Off+x, q.in2Off+y
	if v2 < 0 {
		v1, v2 = -v1, -v2
	}
	inv, recipShift := fxReciprocal(v2, 31)
	head := fxCLS32(v1)
	quot := SaturatingRoundingDoublingHighMul(v1*(int32(1)<<uint(head)), inv)
	r := q.outOff + fxMulQ(quot, q.outMult, q.outShift-recipShift-head)
	return min(max(r, q.actLo), q.actHi)
}

func ewQuantRows[T int8 | uint8 | int16](n *Node, st *ewBinary, a, b []T, nb int, o []T) error {
	p, q, op := &st.plan, &st.q, n.Op
	if op == OpDiv {
		if err := ewNonZero(n, b[:nb], -q.in2Off); err != nil {
			return err
		}
	}
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := min(len(x)-1, 1), min(len(y)-1, 1)
		if len(o) == 1 {
			sx, sy = 0, 0
		}
		switch op {
		case OpAdd:
			for i := range o {
				o[i] = T(q.addSub(int32(x[i*sx]), int32(y[i*sy]), false))
			}
		case OpSub:
			for i := range o {
				o[i] = T(q.addSub(int32(x[i*sx]), int32(y[i*sy]), true))
			}
		case OpMul:
			for i := range o {
				o[i] = T(q.mul(int32(x[i*sx]), int32(y[i*sy])))
			}
		case OpDiv:
			for i := range o {
				o[i] = T(q.div(int32(x[i*sx]), int32(y[i*sy])))
			}
		case OpSquaredDifference:
			for i := range o {
				o[i] = T(q.sqDiff(int32(x[i*sx]), int32(y[i*sy])))
			}
		}
	})
	return nil
}

// ewPOT16Rows is the int16 ADD/SUB path for power-of-two scales: the finer
// input is rounding-shifted to the output scale and the sum saturates.
func ewPOT16Rows(op Op, st *ewBinary, a, b, o []int16) {
	p, q := &st.plan, &st.q
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := min(len(x)-1, 1), min(len(y)-1, 1)
		if len(o) == 1 {
			sx, sy = 0, 0
		}
		for i := range o {
			u := int32(fxRDPOT(x[i*sx], -q.in1Shift))
			v := int32(fxRDPOT(y[i*sy], -q.in2Shift))
			var r int32
			if op == OpSub {
				r = u - v
			} else {
				r = int32(fxSat[int16](int64(u) + int64(v)))
			}
			o[i] = int16(min(max(r, q.actLo), q.actHi))
		}
	})
}

// ewMul16Rows multiplies int16 values as [-1, 1) fixed point and writes an
// 8-bit result (TFLite's Mul int16 -> int8/uint8).
func ewMul16Rows[T int8 | uint8](st *ewBinary, a, b []int16, o []T) {
	p, q := &st.plan, &st.q
	lo, hi := q.actLo-q.outOff, q.actHi-q.outOff
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := min(len(x)-1, 1), min(len(y)-1, 1)
		if len(o) == 1 {
			sx, sy = 0, 0
		}
		for i := range o {
			r := int32(fxRDPOT(fxSRDHM(x[i*sx], y[i*sy]), 8))
			o[i] = T(q.outOff + min(max(r, lo), hi))
		}
	})
}
