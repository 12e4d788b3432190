package ops

import (
	"github.com/axle-edge/axle/models"
)

// STABLEHLO_ADD, _MULTIPLY, _MAXIMUM, _MINIMUM, _AND and _SHIFT_LEFT:
// elementwise on two tensors of one type and one shape (no broadcasting in
// StableHLO). Types are TFLite's: every integer width signed and unsigned,
// float32, float64 and bool (AND: integers and bool); SHIFT_LEFT takes
// int8, int16 and int32. Integers wrap; bool ADD and MAXIMUM are OR,
// MULTIPLY, MINIMUM and AND are AND (C++'s bool arithmetic); MAXIMUM and
// MINIMUM are std::max and std::min, so a NaN in the first operand wins
// and one in the second loses. A shift outside [0, 32) gives 0 (C++
// leaves it undefined).

func addStablehloElementwise(r *Resolver) {
	for _, op := range []Op{OpStablehloAdd, OpStablehloMultiply, OpStablehloMaximum, OpStablehloMinimum, OpStablehloAnd, OpStablehloShiftLeft} {
		r.Builtin[op] = &Kernel{MaxVersion: 1, Prepare: shloEwPrepare, Eval: shloEwEval}
	}
}

func shloEwPrepare(c Context, n *Node) error {
	a, b, out, err := binaryIO(c, n)
	if err != nil {
		return err
	}
	ok := false
	switch n.Op {
	case OpStablehloShiftLeft:
		ok = a.Type == models.Int8 || a.Type == models.Int16 || a.Type == models.Int32
	case OpStablehloAnd:
		ok = shloInt(a.Type) || a.Type == models.Bool
	default:
		ok = shloInt(a.Type) || a.Type == models.Bool || a.Type == models.Float32 || a.Type == models.Float64
	}
	if !ok {
		return n.Errorf("input tensor %q type %s is not supported", a.Name, a.Type)
	}
	if !ewSameShape(a.Shape, b.Shape) {
		return n.Errorf("input shapes %v and %v differ", a.Shape, b.Shape)
	}
	if _, ok := mulChecked(a.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", a.Name, a.Shape)
	}
	out.Type = a.Type
	return c.Resize(out, a.Shape)
}

func shloInt(t models.DType) bool {
	switch t {
	case models.Int8, models.Int16, models.Int32, models.Int64, models.UInt8, models.UInt16, models.UInt32, models.UInt64:
		return true
	}
	return false
}

func shloEwEval(c Context, n *Node) error {
	a, b, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, a, b, out); err != nil {
		return err
	}
	k := a.NumElements()
	switch a.Type {
	case models.Float32:
		shloNum(n.Op, a.F32()[:k], b.F32()[:k], out.F32()[:k])
	case models.Float64:
		shloNum(n.Op, a.F64()[:k], b.F64()[:k], out.F64()[:k])
	case models.Int8:
		shloIntRun(n.Op, a.I8()[:k], b.I8()[:k], out.I8()[:k])
	case models.Int16:
		shloIntRun(n.Op, a.I16()[:k], b.I16()[:k], out.I16()[:k])
	case models.Int32:
		shloIntRun(n.Op, a.I32()[:k], b.I32()[:k], out.I32()[:k])
	case models.Int64:
		shloIntRun(n.Op, a.I64()[:k], b.I64()[:k], out.I64()[:k])
	case models.UInt8:
		shloIntRun(n.Op, a.U8()[:k], b.U8()[:k], out.U8()[:k])
	case models.UInt16:
		shloIntRun(n.Op, a.U16()[:k], b.U16()[:k], out.U16()[:k])
	case models.UInt32:
		shloIntRun(n.Op, a.U32()[:k], b.U32()[:k], out.U32()[:k])
	case models.UInt64:
		shloIntRun(n.Op, view[uint64](a.Data)[:k], view[uint64](b.Data)[:k], view[uint64](out.Data)[:k])
	case models.Bool:
		x, y, o := a.Bool()[:k], b.Bool()[:k], out.Bool()[:k]
		or := n.Op == OpStablehloAdd || n.Op == OpStablehloMaximum
		for i := range o {
			if or {
				o[i] = x[i] || y[i]
			} else {
				o[i] = x[i] && y[i]
			}
		}
	}
	return nil
}

type shloNumber interface {
	float32 | float64 | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64
}

func shloNum[T shloNumber](op Op, x, y, o []T) {
	switch op {
	case OpStablehloAdd:
		for i := range o {
			o[i] = x[i] + y[i]
		}
	case OpStablehloMultiply:
		for i := range o {
			o[i] = x[i] * y[i]
		}
	case OpStablehloMaximum:
		for i := range o {
			if x[i] < y[i] {
				o[i] = y[i]
			} else {
				o[i] = x[i]
			}
		}
	case OpStablehloMinimum:
		for i := range o {
			if y[i] < x[i] {
				o[i] = y[i]
			} else {
				o[i] = x[i]
			}
		}
	}
}

func shloIntRun[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](op Op, x, y, o []T) {
	switch op {
	case OpStablehloAnd:
		for i := range o {
			o[i] = x[i] & y[i]
		}
	case OpStablehloShiftLeft:
		for i := range o {
			s := int64(y[i])
			if s < 0 || s >= 32 {
				o[i] = 0
				continue
			}
			o[i] = x[i] << uint(s)
		}
	default:
		shloNum(op, x, y, o)
	}
}
