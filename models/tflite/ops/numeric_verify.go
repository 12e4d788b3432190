package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// NumericVerify: the debug custom operator the TFLite converter inserts
// to compare a quantized tensor with the float tensor it replaced.
//
// Inputs are the quantized tensor (uint8, int8 or int16 with per-tensor
// quantization, or float16) and the float32 reference of the same size;
// the output is float32 of the input's shape holding dequantized minus
// reference, each dequantized as DEQUANTIZE does. With log_if_failed set
// and tolerance >= 0.1 the node fails on the first element whose absolute
// difference exceeds tolerance * scale, naming it; otherwise TFLite only
// logs statistics, which a library does not, so the differences are the
// whole result.

type numericVerifyState struct {
	scale    float64
	zp       int32
	maxDiff  float32 // tolerance * scale, as float
	tol      float32
	failFast bool
}

func addNumericVerify(r *Resolver) {
	r.Custom["NumericVerify"] = &Kernel{MaxVersion: 1, Prepare: numericVerifyPrepare, Eval: numericVerifyEval}
}

func numericVerifyPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	m, err := audioOptions(n)
	if err != nil {
		return err
	}
	tol, err := audioFloat(n, m, "tolerance", 0)
	if err != nil {
		return err
	}
	var logIfFailed bool
	if v, ok, err := m.Get("log_if_failed"); err != nil {
		return n.Errorf("option log_if_failed: %v", err)
	} else if ok && !v.IsNull() {
		if logIfFailed, err = v.Bool(); err != nil {
			return n.Errorf("option log_if_failed: %v", err)
		}
	}
	in, ref, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || ref == nil || out == nil {
		return n.Errorf("input, reference and output are required")
	}
	switch in.Type {
	case models.UInt8, models.Int8, models.Int16, models.Float16:
	default:
		return n.Errorf("input %q type %s is not supported (uint8, int8, int16 or float16)", in.Name, in.Type)
	}
	if ref.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("reference %q (%s) and output %q (%s) must be float32", ref.Name, ref.Type, out.Name, out.Type)
	}
	if ref.NumElements() != in.NumElements() {
		return n.Errorf("reference %q shape %v does not match input %q shape %v", ref.Name, ref.Shape, in.Name, in.Shape)
	}
	st := &numericVerifyState{}
	if in.Type != models.Float16 {
		q := in.Quant
		if q == nil || len(q.Scale) != 1 || len(q.ZeroPoint) > 1 {
			return n.Errorf("input %q (%s) needs per-tensor quantization parameters", in.Name, in.Type)
		}
		s := float64(q.Scale[0])
		if !(s > 0) || math.IsInf(s, 0) {
			return n.Errorf("input %q has invalid scale %g", in.Name, s)
		}
		lo, hi := TypeRange(in.Type)
		if len(q.ZeroPoint) == 1 {
			if q.ZeroPoint[0] < int64(lo) || q.ZeroPoint[0] > int64(hi) {
				return n.Errorf("input %q has zero point %d outside the %s range", in.Name, q.ZeroPoint[0], in.Type)
			}
			st.zp = int32(q.ZeroPoint[0])
		}
		st.scale = s
	}
	// TFLite multiplies the float tolerance by the float scale (0 for
	// float16, which has no quantization parameters).
	st.tol = float32(tol)
	st.maxDiff = st.tol * float32(st.scale)
	st.failFast = logIfFailed && float32(tol) >= 0.1
	if err := c.Resize(out, in.Shape); err != nil {
		return n.Errorf("output %q: %v", out.Name, err)
	}
	n.State = st
	return nil
}

func numericVerifyEval(c Context, n *Node) error {
	st, ok := n.State.(*numericVerifyState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, ref, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	cnt := in.NumElements()
	r, o := ref.F32()[:cnt], out.F32()[:cnt]
	for i := range o {
		var q int32
		var d float32
		switch in.Type {
		case models.Float16:
			d = qzHalfToFloat(in.U16()[i])
		case models.UInt8:
			q = int32(in.U8()[i])
		case models.Int8:
			q = int32(in.I8()[i])
		case models.Int16:
			q = int32(in.I16()[i])
		}
		if in.Type != models.Float16 {
			d = float32(st.scale * float64(q-st.zp))
		}
		o[i] = d - r[i]
		if st.failFast && float32(math.Abs(float64(o[i]))) > st.maxDiff {
			return n.Errorf("element %d of %q: %g (quantized %d) differs from reference %g by more than %g (tolerance %g steps)",
				i, in.Name, d, q, r[i], st.maxDiff, st.tol)
		}
	}
	return nil
}
