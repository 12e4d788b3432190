package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// FLOOR_DIV and FLOOR_MOD: broadcasting integer-style division that rounds
// towards negative infinity. Quantized types are not rescaled: like TFLite,
// the kernels work on the raw codes.

func addFloor(r *Resolver) {
	r.Builtin[OpFloorDiv] = &Kernel{MaxVersion: 3, Prepare: floorPrepare, Eval: floorEval}
	r.Builtin[OpFloorMod] = &Kernel{MaxVersion: 2, Prepare: floorPrepare, Eval: floorEval}
}

func floorPrepare(c Context, n *Node) error {
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
	switch a.Type {
	case models.Float32, models.Int32, models.Int16, models.Int8:
	case models.Int64:
		if n.Op == OpFloorDiv {
			return n.Errorf("input type %s is not supported", a.Type)
		}
	default:
		return n.Errorf("input type %s is not supported", a.Type)
	}
	return prepareBcast(c, n, a, b, out)
}

func floorEval(c Context, n *Node) error {
	st, ok := n.State.(*bcastState)
	if !ok {
		return n.Errorf("not prepared")
	}
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	p := &st.plan
	nb := b.NumElements()
	div := n.Op == OpFloorDiv
	switch a.Type {
	case models.Float32:
		if div {
			// TFLite rejects a zero divisor for every type of FLOOR_DIV
			// but only for integer types of FLOOR_MOD.
			if err := floorNonZero(n, b.F32()[:nb]); err != nil {
				return err
			}
			floorRows(p, a.F32(), b.F32(), out.F32()[:p.n], floorDivF32)
		} else {
			floorRows(p, a.F32(), b.F32(), out.F32()[:p.n], floorModF32)
		}
	case models.Int32:
		return floorInt(n, p, div, a.I32(), b.I32()[:nb], out.I32()[:p.n])
	case models.Int16:
		return floorInt(n, p, div, a.I16(), b.I16()[:nb], out.I16()[:p.n])
	case models.Int8:
		return floorInt(n, p, div, a.I8(), b.I8()[:nb], out.I8()[:p.n])
	case models.Int64:
		return floorInt(n, p, false, a.I64(), b.I64()[:nb], out.I64()[:p.n])
	default:
		return n.Errorf("input type %s is not supported", a.Type)
	}
	return nil
}

type floorInteger interface {
	int8 | int16 | int32 | int64
}

func floorInt[T floorInteger](n *Node, p *ewPlan, div bool, a, b, o []T) error {
	if err := floorNonZero(n, b); err != nil {
		return err
	}
	if div {
		floorRows(p, a, b, o, floorDivInt[T])
	} else {
		floorRows(p, a, b, o, floorModInt[T])
	}
	return nil
}

func floorNonZero[T floorInteger | float32](n *Node, s []T) error {
	for i, v := range s {
		if v == 0 {
			return n.Errorf("division by zero: element %d of the divisor is zero", i)
		}
	}
	return nil
}

func floorRows[T floorInteger | float32](p *ewPlan, a, b, o []T, f func(x, y T) T) {
	p.rows(func(oo, ao, bo, _, n int) {
		o := o[oo : oo+n]
		x, y := ewRow(p, 0, a, ao, n), ewRow(p, 1, b, bo, n)
		sx, sy := ewStrides(n, len(x), len(y))
		for i := range o {
			o[i] = f(x[i*sx], y[i*sy])
		}
	})
}

// floorDivInt divides in float64 and floors, exactly as TFLite's reference
// FloorDiv does for every type (which differs from exact integer floor
// division for a few int32 quotients just below an integer). The one
// overflowing quotient, MinInt/-1, wraps.
func floorDivInt[T floorInteger](x, y T) T {
	return T(int64(math.Floor(float64(x) / float64(y))))
}

func floorDivF32(x, y float32) float32 {
	return float32(math.Floor(float64(x) / float64(y)))
}

// floorModInt is the truncated remainder moved to the divisor's sign.
func floorModInt[T floorInteger](x, y T) T {
	m := x % y
	if m != 0 && (y < 0) != (m < 0) {
		m += y
	}
	return m
}

// floorModF32 follows the same rule on fmod, which is exact, so computing it
// in float64 gives the float32 result; the final add is in float32.
func floorModF32(x, y float32) float32 {
	m := float32(math.Mod(float64(x), float64(y)))
	if m != 0 && (y < 0) != (m < 0) {
		m += y
	}
	return m
}
