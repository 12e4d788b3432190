package ops

import (
	"math"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// Unary math: ABS, EXP, LOG, SQRT, RSQRT, SQUARE, NEG. Quantized forms
// follow TFLite: EXP and LOG through lookup tables built in Prepare, ABS
// and RSQRT through fixed-point rescaling, SQRT through float.

func addUnary(r *Resolver) {
	un := func(op Op, v int) {
		r.Builtin[op] = &Kernel{MaxVersion: v, Prepare: ewUnaryPrepare, Eval: ewUnaryEval}
	}
	un(OpAbs, 5)
	un(OpExp, 2)
	un(OpLog, 2)
	un(OpSqrt, 2)
	un(OpRsqrt, 3)
	un(OpSquare, 1)
	un(OpNeg, 1)
}

type ewUnary struct {
	quant   bool // quantized 8/16-bit input
	in, out ewQ
	rescale bool // ABS: input and output scales differ
	mult    int32
	shift   int
	lut8    *ewLUT8
	lut16   *ewLUT16
}

// ewUnaryTypes lists the element types each op accepts (TFLite's).
var ewUnaryTypes = map[Op][]models.DType{
	OpAbs:    {models.Float32, models.Int8, models.Int16, models.Int32},
	OpExp:    {models.Float32, models.Int8, models.Int16},
	OpLog:    {models.Float32, models.Int8, models.Int16},
	OpSqrt:   {models.Float32, models.Int8, models.Int16},
	OpRsqrt:  {models.Float32, models.Int8, models.Int16},
	OpSquare: {models.Float32},
	OpNeg:    {models.Float32, models.Int8, models.Int16, models.Int32, models.Int64},
}

// ewAllocLUT8 and ewAllocLUT16 take table memory from the model's budget.
func ewAllocLUT8(c Context) (*ewLUT8, error) {
	b, err := c.Alloc(int(unsafe.Sizeof(ewLUT8{})))
	if err != nil {
		return nil, err
	}
	return (*ewLUT8)(unsafe.Pointer(&b[0])), nil
}

func ewAllocLUT16(c Context) (*ewLUT16, error) {
	b, err := c.Alloc(int(unsafe.Sizeof(ewLUT16{})))
	if err != nil {
		return nil, err
	}
	return (*ewLUT16)(unsafe.Pointer(&b[0])), nil
}

// ewUnaryIO checks a one-input one-output node whose output has the input's
// type and shape, and sizes the output.
func ewUnaryIO(c Context, n *Node) (in, out *Tensor, err error) {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return nil, nil, n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out = c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return nil, nil, n.Errorf("missing input or output tensor")
	}
	return in, out, nil
}

func ewUnaryPrepare(c Context, n *Node) error {
	in, out, err := ewUnaryIO(c, n)
	if err != nil {
		return err
	}
	ok := false
	for _, t := range ewUnaryTypes[n.Op] {
		ok = ok || t == in.Type
	}
	if !ok {
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if n.Op == OpExp || n.Op == OpNeg {
		out.Type = in.Type // as TFLite's Prepare does
	}
	if out.Type != in.Type {
		return n.Errorf("output type %s differs from input type %s", out.Type, in.Type)
	}
	st := &ewUnary{}
	// Int8 is always quantized; int16 is, except for ABS without
	// quantization parameters. NEG negates raw codes.
	quant := in.Type == models.Int8 || (in.Type == models.Int16 && (n.Op != OpAbs || ewHasQuant(in)))
	if quant && n.Op != OpNeg {
		if err := st.prepareQuant(c, n, in, out); err != nil {
			return err
		}
	}
	n.State = st
	return c.Resize(out, in.Shape)
}

func (st *ewUnary) prepareQuant(c Context, n *Node, in, out *Tensor) error {
	var err error
	if st.in, err = ewTensorQuant(n, in, "input"); err != nil {
		return err
	}
	if st.out, err = ewTensorQuant(n, out, "output"); err != nil {
		return err
	}
	st.quant = true
	i16 := in.Type == models.Int16
	if i16 && (st.in.zp != 0 || st.out.zp != 0) {
		return n.Errorf("int16 input and output must have zero point 0, got %d and %d", st.in.zp, st.out.zp)
	}
	is, os := st.in.f32, st.out.f32
	table := func(f func(float32) float32) error {
		if i16 {
			if st.lut16, err = ewAllocLUT16(c); err != nil {
				return n.Errorf("lookup table: %v", err)
			}
			ewLUT16Build(st.lut16, is, st.in.zp, os, st.out.zp, f)
			return nil
		}
		if st.lut8, err = ewAllocLUT8(c); err != nil {
			return n.Errorf("lookup table: %v", err)
		}
		ewLUT8Build(st.lut8, true, is, st.in.zp, os, st.out.zp, f)
		return nil
	}
	switch n.Op {
	case OpAbs:
		st.rescale = is != os
		if st.rescale {
			st.mult, st.shift = QuantizeMultiplier(float64(is / os))
		}
	case OpExp:
		return table(func(x float32) float32 { return float32(math.Exp(float64(x))) })
	case OpLog:
		lo := float32(-32768)
		if !i16 {
			lo = -128
		}
		outMin := float32(float32(int32(lo)-st.out.zp) * os)
		return table(func(x float32) float32 {
			if x <= 0 {
				return outMin
			}
			return float32(math.Log(float64(x)))
		})
	case OpRsqrt:
		if i16 {
			return table(func(x float32) float32 {
				if x <= 0 {
					return float32(32767 * os)
				}
				return float32(1 / float32(math.Sqrt(float64(x))))
			})
		}
		sq := float32(math.Sqrt(float64(is)))
		st.mult, st.shift = QuantizeMultiplier(1 / float64(float32(sq*os)))
	}
	return nil
}

func ewUnaryEval(c Context, n *Node) error {
	st, ok := n.State.(*ewUnary)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	cnt := in.NumElements()
	if st.quant {
		if in.Type == models.Int8 {
			return st.evalQuant8(n, in.I8()[:cnt], out.I8()[:cnt])
		}
		return st.evalQuant16(n, in.I16()[:cnt], out.I16()[:cnt])
	}
	switch in.Type {
	case models.Float32:
		ewUnaryFloat(n.Op, in.F32()[:cnt], out.F32()[:cnt])
	case models.Int8:
		ewUnaryInt(n.Op, in.I8()[:cnt], out.I8()[:cnt])
	case models.Int16:
		ewUnaryInt(n.Op, in.I16()[:cnt], out.I16()[:cnt])
	case models.Int32:
		ewUnaryInt(n.Op, in.I32()[:cnt], out.I32()[:cnt])
	case models.Int64:
		ewUnaryInt(n.Op, in.I64()[:cnt], out.I64()[:cnt])
	}
	return nil
}

// ewUnaryFloat computes in float64 and rounds once; TFLite's float kernels
// call the float32 libm functions, which agree to within an ulp.
func ewUnaryFloat(op Op, x, o []float32) {
	o = o[:len(x)]
	switch op {
	case OpAbs:
		for i, v := range x {
			o[i] = float32(math.Abs(float64(v)))
		}
	case OpExp:
		for i, v := range x {
			o[i] = float32(math.Exp(float64(v)))
		}
	case OpLog:
		for i, v := range x {
			o[i] = float32(math.Log(float64(v)))
		}
	case OpSqrt:
		for i, v := range x {
			o[i] = float32(math.Sqrt(float64(v)))
		}
	case OpRsqrt:
		for i, v := range x {
			o[i] = 1 / float32(math.Sqrt(float64(v)))
		}
	case OpSquare:
		for i, v := range x {
			o[i] = v * v
		}
	case OpNeg:
		for i, v := range x {
			o[i] = -v
		}
	}
}

// ewUnaryInt is NEG and ABS on unquantized integers (wrapping like the C
// kernels: -MinInt stays MinInt).
func ewUnaryInt[T int8 | int16 | int32 | int64](op Op, x, o []T) {
	o = o[:len(x)]
	if op == OpNeg {
		for i, v := range x {
			o[i] = -v
		}
		return
	}
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		o[i] = v
	}
}

func (st *ewUnary) evalQuant8(n *Node, x, o []int8) error {
	o = o[:len(x)]
	switch n.Op {
	case OpExp, OpLog:
		t := st.lut8
		for i, v := range x {
			o[i] = int8(t[uint8(v)])
		}
	case OpAbs:
		ewAbsQuant(st, x, o, -128, 127)
	case OpSqrt:
		return ewSqrtQuant(n, st, x, o, -128, 127)
	case OpRsqrt:
		for i, v := range x {
			if int32(v) < st.in.zp {
				return n.Errorf("RSQRT is only defined for positive values (element %d is %d, zero point %d)", i, v, st.in.zp)
			}
		}
		const kShift = 20 // keeps the intermediate an integer
		for i, v := range x {
			val := int32(v) - st.in.zp
			if val == 0 {
				o[i] = 127
				continue
			}
			m, s := fxInvSqrt(val, -1)
			d := fxMulQ(1, m, s+kShift)
			r := fxMulQ(d, st.mult, st.shift-kShift) + st.out.zp
			o[i] = int8(min(max(r, -128), 127))
		}
	}
	return nil
}

func (st *ewUnary) evalQuant16(n *Node, x, o []int16) error {
	o = o[:len(x)]
	switch n.Op {
	case OpExp, OpLog:
		t := st.lut16
		for i, v := range x {
			o[i] = ewLUT16Lookup(v, t)
		}
	case OpRsqrt:
		for i, v := range x {
			if int32(v) < st.in.zp {
				return n.Errorf("RSQRT is only defined for positive values (element %d is %d)", i, v)
			}
		}
		t := st.lut16
		for i, v := range x {
			o[i] = ewLUT16Lookup(v, t)
		}
	case OpAbs:
		ewAbsQuant(st, x, o, -32768, 32767)
	case OpSqrt:
		return ewSqrtQuant(n, st, x, o, -32768, 32767)
	}
	return nil
}

// ewAbsQuant is |x - zp| on the output scale.
func ewAbsQuant[T int8 | int16](st *ewUnary, x, o []T, lo, hi int32) {
	for i, v := range x {
		a := int32(v) - st.in.zp
		if a < 0 {
			a = -a
		}
		if st.rescale {
			a = fxMulQ(a, st.mult, st.shift)
		}
		o[i] = T(min(max(a+st.out.zp, lo), hi))
	}
}

// ewSqrtQuant dequantizes, takes the float square root and requantizes by
// truncation, as TFLite does.
func ewSqrtQuant[T int8 | int16](n *Node, st *ewUnary, x, o []T, lo, hi int32) error {
	is, os := st.in.f32, st.out.f32
	for i, v := range x {
		d := float32(is * float32(int32(v)-st.in.zp))
		if !(d >= 0) {
			return n.Errorf("SQRT is only defined for non-negative values (element %d is %d)", i, v)
		}
		f := float32(math.Sqrt(float64(d)))
		q := int64(ewSatInt32(float64(f/os))) + int64(st.out.zp)
		o[i] = T(min(max(q, int64(lo)), int64(hi)))
	}
	return nil
}
