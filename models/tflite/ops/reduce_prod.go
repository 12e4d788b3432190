package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// REDUCE_PROD, REDUCE_ANY and REDUCE_ALL reuse the MEAN/SUM walk plan
// (reducePlan) with their own fold. Like TFLite:
//
//   - integer products wrap;
//   - quantized int8/int16 products rescale after every multiplication by
//     in_scale / out_scale^(1/n), n the reduced count, so the int32
//     accumulator does not overflow, then rescale once more at the end;
//   - an empty reduction gives 1 (false for ANY, true for ALL); a quantized
//     empty product is left at the output zero point.

func addReduceProd(r *Resolver) {
	r.Builtin[OpReduceProd] = &Kernel{MaxVersion: 2, Prepare: prodPrepare, Eval: prodEval}
	r.Builtin[OpReduceAny] = &Kernel{MaxVersion: 1, Prepare: prodPrepare, Eval: prodEval}
	r.Builtin[OpReduceAll] = &Kernel{MaxVersion: 1, Prepare: prodPrepare, Eval: prodEval}
}

type prodState struct {
	reduceState
	quant    bool // quantized int8/int16 product
	mult     int32
	shift    int
	acc      []int64 // quantized accumulators; prodNone until the first element
	inScale  float64
	outScale float64
}

// prodNone marks an accumulator that has seen no element yet: TFLite's
// first element is taken as is, without the rescale of later ones.
const prodNone = math.MinInt64

func prodPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || axis == nil || out == nil {
		return n.Errorf("input, axis and output tensors are required")
	}
	if axis.Type != models.Int32 {
		return n.Errorf("axis tensor %q must be int32, got %s", axis.Name, axis.Type)
	}
	if out.Type != in.Type {
		return n.Errorf("output tensor %q type %s differs from input tensor %q type %s", out.Name, out.Type, in.Name, in.Type)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	st, _ := n.State.(*prodState)
	if st == nil {
		st = &prodState{}
		n.State = st
	}
	if err := st.checkTypes(n, in, out); err != nil {
		return err
	}
	st.dynamic = !axis.Const
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	if err := st.plan1(c, n, in, axis, out, true); err != nil {
		return err
	}
	if !st.quant {
		return nil
	}
	acc, err := allocSlice[int64](c, st.plan.outSize)
	if err != nil {
		return n.Errorf("accumulators: %v", err)
	}
	st.acc = acc
	return st.scaling(n)
}

func (st *prodState) checkTypes(n *Node, in, out *Tensor) error {
	if n.Op != OpReduceProd {
		if in.Type != models.Bool {
			return n.Errorf("input tensor %q must be bool, got %s", in.Name, in.Type)
		}
		return nil
	}
	switch in.Type {
	case models.Float32, models.Int32, models.Int64, models.UInt8, models.Int8, models.Int16:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	st.quant = ewHasQuant(in)
	if !st.quant {
		return nil
	}
	if in.Type != models.Int8 && in.Type != models.Int16 {
		return n.Errorf("quantized input tensor %q must be int8 or int16, got %s", in.Name, in.Type)
	}
	inScale, inZP, err := tensorScale(n, "input", in)
	if err != nil {
		return err
	}
	outScale, outZP, err := tensorScale(n, "output", out)
	if err != nil {
		return err
	}
	if in.Type == models.Int16 && (inZP != 0 || outZP != 0) {
		return n.Errorf("int16 input and output need zero point 0, got %d and %d", inZP, outZP)
	}
	st.inScale, st.outScale = inScale, outScale
	return nil
}

// scaling derives the per-multiplication rescale from the reduced count.
func (st *prodState) scaling(n *Node) error {
	if st.count == 0 {
		return nil
	}
	s := st.inScale / math.Pow(st.outScale, 1/float64(st.count))
	st.mult, st.shift = QuantizeMultiplier(s)
	// The int64 rescale TFLite uses asserts a shift in [-31, 7].
	if st.shift >= 8 || st.shift < -31 {
		return n.Errorf("product rescale %g (input scale %g, output scale %g, %d reduced elements) is out of range", s, st.inScale, st.outScale, st.count)
	}
	return nil
}

func prodEval(c Context, n *Node) error {
	st, ok := n.State.(*prodState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, axis, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if st.dynamic {
		if err := st.plan1(c, n, in, axis, out, false); err != nil {
			return err
		}
		if st.quant {
			if cap(st.acc) < st.plan.outSize {
				st.acc = make([]int64, st.plan.outSize)
			}
			st.acc = st.acc[:st.plan.outSize]
			if err := st.scaling(n); err != nil {
				return err
			}
		}
	}
	p := &st.plan
	if err := checkData(n, "input", in, in.NumElements()); err != nil {
		return err
	}
	if err := checkData(n, "output", out, p.outSize); err != nil {
		return err
	}
	if p.outSize == 0 {
		return nil
	}
	switch n.Op {
	case OpReduceAny:
		o := out.Bool()[:p.outSize]
		clear(o)
		walkFold(p, in.Bool(), o, func(a, v bool) bool { return a || v })
		return nil
	case OpReduceAll:
		o := out.Bool()[:p.outSize]
		for i := range o {
			o[i] = true
		}
		walkFold(p, in.Bool(), o, func(a, v bool) bool { return a && v })
		return nil
	}
	if st.quant {
		switch in.Type {
		case models.Int8:
			prodQuant(st, in.I8(), out.I8()[:p.outSize], in.ZeroPoint(), out.ZeroPoint(), math.MinInt8, math.MaxInt8)
		case models.Int16:
			prodQuant(st, in.I16(), out.I16()[:p.outSize], in.ZeroPoint(), out.ZeroPoint(), math.MinInt16, math.MaxInt16)
		}
		return nil
	}
	switch in.Type {
	case models.Float32:
		prodPlain(p, in.F32(), out.F32()[:p.outSize])
	case models.Int32:
		prodPlain(p, in.I32(), out.I32()[:p.outSize])
	case models.Int64:
		prodPlain(p, in.I64(), out.I64()[:p.outSize])
	case models.UInt8:
		prodPlain(p, in.U8(), out.U8()[:p.outSize])
	case models.Int8:
		prodPlain(p, in.I8(), out.I8()[:p.outSize])
	case models.Int16:
		prodPlain(p, in.I16(), out.I16()[:p.outSize])
	}
	return nil
}

func prodPlain[T float32 | int32 | int64 | uint8 | int8 | int16](p *reducePlan, in, o []T) {
	for i := range o {
		o[i] = 1
	}
	walkFold(p, in, o, func(a, v T) T { return a * v })
}

func prodQuant[T int8 | int16](st *prodState, in, o []T, zp, ozp, lo, hi int32) {
	if st.count == 0 {
		for i := range o {
			o[i] = T(ozp)
		}
		return
	}
	acc := st.acc
	for i := range acc {
		acc[i] = prodNone
	}
	mult, shift := st.mult, st.shift
	walkFold(&st.plan, in, acc, func(a int64, v T) int64 {
		x := int64(int32(v) - zp)
		if a == prodNone {
			return x
		}
		return int64(mulQuant64(a*x, mult, shift))
	})
	for i, a := range acc {
		v := mulQuant64(a, mult, shift) + ozp
		o[i] = T(min(max(v, lo), hi))
	}
}

// walkFold folds every input element into its output element in input
// order (the order of TFLite's reference Reduce).
func walkFold[T, A any](p *reducePlan, in []T, acc []A, f func(a A, v T) A) {
	clear(p.coord)
	off, inner := 0, p.inner
	for o := 0; o < p.outer; o++ {
		run := in[o*inner : (o+1)*inner]
		if p.reduced {
			s := acc[off]
			for _, v := range run {
				s = f(s, v)
			}
			acc[off] = s
		} else {
			a := acc[off : off+inner]
			for i, v := range run {
				a[i] = f(a[i], v)
			}
		}
		off = p.step(off)
	}
}
