package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// RELU_0_TO_1, and the quantized forms of ELU (int8) and GELU (int8, uint8,
// int16). Float ELU and GELU stay with the float math kernels
// (elementwise_math.go); the quantized ones are 256-entry tables filled as
// TFLite's LUTPopulate does, from the float32 functions TFLite uses:
// expm1f for ELU, 0.5x*erfc(-x/sqrt2) and the tanh form for GELU. Int16
// GELU is LiteRT's 513-entry table (LUTPopulate<int16_t>, float32
// arithmetic) read with LUTLookup's 9-bit index and 7-bit interpolation;
// like LiteRT it takes any zero points, which only shift the table.

func addActivationLUTs(r *Resolver) {
	r.Builtin[OpRelu0To1] = &Kernel{MaxVersion: 1, Prepare: relu01Prepare, Eval: relu01Eval}
	r.Builtin[OpElu] = &Kernel{MaxVersion: 1, Prepare: lutActPrepare, Eval: lutActEval}
	r.Builtin[OpGelu] = &Kernel{MaxVersion: 3, Prepare: lutActPrepare, Eval: lutActEval}
}

func relu01Prepare(c Context, n *Node) error {
	in, out, err := actIO(c, n, models.Float32, models.UInt8, models.Int8)
	if err != nil {
		return err
	}
	if err := actReluPrepare(c, n); err != nil {
		return err
	}
	if in.Type == models.Float32 {
		return nil
	}
	st := n.State.(*actRelu)
	qo, err := ewTensorQuant(n, out, "output")
	if err != nil {
		return err
	}
	// actReluPrepare leaves the upper bound at the type's maximum for ops
	// other than RELU6 and RELU_N1_TO_1: bound it at the code of 1.0.
	_, thi := TypeRange(in.Type)
	st.hi = min(thi, qo.zp+ewSatInt32(math.Round(float64(1/qo.f32))))
	return nil
}

func relu01Eval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil || in.Type != models.Float32 {
		return actReluEval(c, n)
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	k := in.NumElements()
	o := out.F32()[:k]
	for i, v := range in.F32()[:k] {
		o[i] = ewClamp(v, 0, 1)
	}
	return nil
}

func readGeluOptions(n *Node) (approximate bool) { return n.Opts.(*GeluOptions).Approximate }

func lutActPrepare(c Context, n *Node) error {
	if len(n.Inputs) == 1 && len(n.Outputs) == 1 {
		if in := c.Input(n, 0); in != nil && (in.Type == models.Float32 || in.Type == models.Float16 && n.Op == OpGelu) {
			n.State = nil
			return mathUnaryPrepare(c, n)
		}
	}
	types := []models.DType{models.Int8}
	if n.Op == OpGelu {
		types = append(types, models.UInt8, models.Int16)
	}
	in, out, err := actIO(c, n, types...)
	if err != nil {
		return err
	}
	qi, qo, err := actQuantIO(n, in, out)
	if err != nil {
		return err
	}
	f := eluF32
	if n.Op == OpGelu {
		f = geluF32
		if readGeluOptions(n) {
			f = geluApproxF32
		}
	}
	if in.Type == models.Int16 {
		lut, err := ewAllocLUT16(c)
		if err != nil {
			return n.Errorf("lookup table: %v", err)
		}
		ewLUT16Build(lut, qi.f32, qi.zp, qo.f32, qo.zp, f)
		n.State = &lutAct16{lut}
		return nil
	}
	lut, err := ewAllocLUT8(c)
	if err != nil {
		return n.Errorf("lookup table: %v", err)
	}
	ewLUT8Build(lut, in.Type == models.Int8, qi.f32, qi.zp, qo.f32, qo.zp, f)
	n.State = lut
	return nil
}

// lutAct16 holds the int16 table, which lives in Alloc memory: node state
// itself must stay small.
type lutAct16 struct{ t *ewLUT16 }

func lutActEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	var lut *ewLUT8
	switch st := n.State.(type) {
	case *ewLUT8:
		lut = st
	case *lutAct16:
		if err := ewHaveData(n, in, out); err != nil {
			return err
		}
		k := in.NumElements()
		o := out.I16()[:k]
		for i, v := range in.I16()[:k] {
			o[i] = ewLUT16Lookup(v, st.t)
		}
		return nil
	default:
		return mathUnaryEval(c, n)
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	k := in.NumElements()
	o := out.U8()[:k]
	for i, v := range in.U8()[:k] {
		o[i] = lut[v]
	}
	return nil
}

func eluF32(x float32) float32 {
	if x < 0 {
		return float32(math.Expm1(float64(x)))
	}
	return x
}

// geluF32 is 0.5f * x * erfcf(x * -(float)M_SQRT1_2), step by step in
// float32 as TFLite's GeluTransform.
func geluF32(x float32) float32 {
	t := x * float32(-math.Sqrt2/2)
	return 0.5 * x * float32(math.Erfc(float64(t)))
}

// geluApproxF32 is TFLite's GeluTransformApproximate in float32.
func geluApproxF32(x float32) float32 {
	const k = float32(2 / math.SqrtPi * (math.Sqrt2 / 2)) // sqrt(2/pi)
	// Explicit conversions keep Go from fusing a multiply into the add.
	cube := float32(float32(float32(float32(0.044715)*x)*x) * x)
	inner := x + cube
	return 0.5 * x * (1 + float32(math.Tanh(float64(float32(k*inner)))))
}
