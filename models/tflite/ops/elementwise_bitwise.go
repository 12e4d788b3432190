package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// BITWISE_XOR and RIGHT_SHIFT broadcast two integer tensors of one type
// (int8, uint8, int16, uint16, int32, uint32). RIGHT_SHIFT clamps the
// shift to [0, bits-1] and shifts arithmetically for signed types, as
// TFLite. ATAN2 takes two float32 or float64 tensors of one shape.

func addBitwise(r *Resolver) {
	r.Builtin[OpBitwiseXor] = &Kernel{MaxVersion: 1, Prepare: bitwisePrepare, Eval: bitwiseEval}
	r.Builtin[OpRightShift] = &Kernel{MaxVersion: 1, Prepare: bitwisePrepare, Eval: bitwiseEval}
	r.Builtin[OpAtan2] = &Kernel{MaxVersion: 1, Prepare: atan2Prepare, Eval: atan2Eval}
}

func binaryIO(c Context, n *Node) (a, b, out *Tensor, err error) {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return nil, nil, nil, n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	a, b, out = c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if a == nil || b == nil || out == nil {
		return nil, nil, nil, n.Errorf("two input tensors and an output tensor are required")
	}
	if a.Type != b.Type {
		return nil, nil, nil, n.Errorf("input tensors %q and %q have different types %s and %s", a.Name, b.Name, a.Type, b.Type)
	}
	return a, b, out, nil
}

func bitwisePrepare(c Context, n *Node) error {
	a, b, out, err := binaryIO(c, n)
	if err != nil {
		return err
	}
	switch a.Type {
	case models.Int8, models.UInt8, models.Int16, models.UInt16, models.Int32, models.UInt32:
	default:
		return n.Errorf("input tensor %q type %s is not supported", a.Name, a.Type)
	}
	return prepareBcast(c, n, a, b, out)
}

func bitwiseEval(c Context, n *Node) error {
	st, ok := n.State.(*bcastState)
	if !ok {
		return n.Errorf("not prepared")
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	p := &st.plan
	xor := n.Op == OpBitwiseXor
	switch a.Type {
	case models.Int8:
		bitwiseRun(p, xor, a.I8(), b.I8(), out.I8()[:p.n])
	case models.UInt8:
		bitwiseRun(p, xor, a.U8(), b.U8(), out.U8()[:p.n])
	case models.Int16:
		bitwiseRun(p, xor, a.I16(), b.I16(), out.I16()[:p.n])
	case models.UInt16:
		bitwiseRun(p, xor, a.U16(), b.U16(), out.U16()[:p.n])
	case models.Int32:
		bitwiseRun(p, xor, a.I32(), b.I32(), out.I32()[:p.n])
	case models.UInt32:
		bitwiseRun(p, xor, a.U32(), b.U32(), out.U32()[:p.n])
	}
	return nil
}

type bitInt interface {
	int8 | uint8 | int16 | uint16 | int32 | uint32
}

func bitwiseRun[T bitInt](p *ewPlan, xor bool, a, b, o []T) {
	if xor {
		bcastApply(p, a, b, o, func(x, y T) T { return x ^ y })
		return
	}
	bits := T(8*sizeOf[T]() - 1)
	bcastApply(p, a, b, o, func(x, y T) T {
		if y < 0 {
			y = 0
		} else if y > bits {
			y = bits
		}
		return x >> uint(y)
	})
}

func sizeOf[T bitInt | int64 | uint64]() int {
	var z T
	switch any(z).(type) {
	case int8, uint8:
		return 1
	case int16, uint16:
		return 2
	case int32, uint32:
		return 4
	}
	return 8
}

// bcastApply applies f to broadcast element pairs of a and b.
func bcastApply[T any](p *ewPlan, a, b, o []T, f func(x, y T) T) {
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := ewStrides(n, len(x), len(y))
		for i := range o {
			o[i] = f(x[i*sx], y[i*sy])
		}
	})
}

func atan2Prepare(c Context, n *Node) error {
	y, x, out, err := binaryIO(c, n)
	if err != nil {
		return err
	}
	if y.Type != models.Float32 && y.Type != models.Float64 {
		return n.Errorf("input tensor %q type %s is not supported (float32, float64)", y.Name, y.Type)
	}
	if out.Type != y.Type {
		return n.Errorf("output tensor %q type %s differs from input type %s", out.Name, out.Type, y.Type)
	}
	if !ewSameShape(y.Shape, x.Shape) {
		return n.Errorf("input shapes %v and %v differ", y.Shape, x.Shape)
	}
	return c.Resize(out, y.Shape)
}

func atan2Eval(c Context, n *Node) error {
	y, x, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, y, x, out); err != nil {
		return err
	}
	k := y.NumElements()
	if y.Type == models.Float64 {
		o, yv, xv := out.F64()[:k], y.F64()[:k], x.F64()[:k]
		for i := range o {
			o[i] = math.Atan2(yv[i], xv[i])
		}
		return nil
	}
	o, yv, xv := out.F32()[:k], y.F32()[:k], x.F32()[:k]
	for i := range o {
		o[i] = float32(math.Atan2(float64(yv[i]), float64(xv[i])))
	}
	return nil
}
