package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Float math without quantized forms: FLOOR, CEIL, ROUND (half to even, as
// TFLite), SIN, COS, ELU, GELU, SIGN (also int32) and POW (float32 and
// int32, broadcasting). SIN, COS (version 2) and GELU (version 3) also take
// float16 (elementwise_math_f16.go).

func addMath(r *Resolver) {
	for _, op := range []Op{OpFloor, OpCeil, OpRound} {
		r.Builtin[op] = &Kernel{MaxVersion: 1, Prepare: mathUnaryPrepare, Eval: mathUnaryEval}
	}
	for _, op := range []Op{OpSin, OpCos} {
		r.Builtin[op] = &Kernel{MaxVersion: 2, Prepare: mathUnaryPrepare, Eval: mathUnaryEval}
	}
	r.Builtin[OpSign] = &Kernel{MaxVersion: 2, Prepare: mathUnaryPrepare, Eval: mathUnaryEval}
	r.Builtin[OpPow] = &Kernel{MaxVersion: 1, Prepare: powPrepare, Eval: powEval}
}

func mathUnaryPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 1, 1)
	if err != nil {
		return err
	}
	if in.Type != models.Float32 && !(n.Op == OpSign && in.Type == models.Int32) && !(in.Type == models.Float16 && mathHasF16(n.Op)) {
		return n.Errorf("input type %s is not supported", in.Type)
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	return c.Resize(out, in.Shape)
}

func mathUnaryEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	k := in.NumElements()
	if in.Type == models.Float16 {
		mathUnaryEvalF16(n, in.U16()[:k], out.U16()[:k])
		return nil
	}
	if in.Type == models.Int32 { // SIGN
		o := out.I32()[:k]
		for i, v := range in.I32()[:k] {
			o[i] = mathSign(v)
		}
		return nil
	}
	f := mathUnaryFunc(n)
	o := out.F32()[:k]
	for i, v := range in.F32()[:k] {
		o[i] = f(v)
	}
	return nil
}

func mathUnaryFunc(n *Node) func(float32) float32 {
	switch n.Op {
	case OpFloor:
		return func(x float32) float32 { return float32(math.Floor(float64(x))) }
	case OpCeil:
		return func(x float32) float32 { return float32(math.Ceil(float64(x))) }
	case OpRound:
		return func(x float32) float32 { return float32(math.RoundToEven(float64(x))) }
	case OpSin:
		return func(x float32) float32 { return float32(math.Sin(float64(x))) }
	case OpCos:
		return func(x float32) float32 { return float32(math.Cos(float64(x))) }
	case OpElu:
		return func(x float32) float32 {
			if x < 0 {
				return float32(math.Expm1(float64(x)))
			}
			return x
		}
	case OpGelu:
		if n.Opts.(*GeluOptions).Approximate { // approximate: the tanh form
			return func(x float32) float32 {
				v := float64(x)
				return float32(0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v))))
			}
		}
		return func(x float32) float32 {
			v := float64(x)
			return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}
	default: // OpSign
		return mathSign[float32]
	}
}

// mathSign is (0 < x) - (x < 0): NaN gives 0.
func mathSign[T float32 | int32](x T) T {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func powPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if a == nil || b == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if a.Type != b.Type || (a.Type != models.Float32 && a.Type != models.Int32) {
		return n.Errorf("inputs must both be float32 or both int32, got %s and %s", a.Type, b.Type)
	}
	return prepareBcast(c, n, a, b, out)
}

func powEval(c Context, n *Node) error {
	st, ok := n.State.(*bcastState)
	if !ok {
		return n.Errorf("not prepared")
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	p := &st.plan
	if a.Type == models.Float32 {
		floorRows(p, a.F32(), b.F32(), out.F32()[:p.n], func(x, y float32) float32 {
			return float32(math.Pow(float64(x), float64(y)))
		})
		return nil
	}
	// TFLite rejects negative int32 exponents rather than truncating.
	for i, e := range b.I32()[:b.NumElements()] {
		if e < 0 {
			return n.Errorf("int32 exponent %d at element %d is negative", e, i)
		}
	}
	floorRows(p, a.I32(), b.I32(), out.I32()[:p.n], powInt)
	return nil
}

// powInt is x**e by squaring, wrapping on overflow like the C++ int32
// arithmetic it mirrors.
func powInt(x, e int32) int32 {
	r := int32(1)
	for e > 0 {
		if e&1 != 0 {
			r *= x
		}
		x *= x
		e >>= 1
	}
	return r
}
