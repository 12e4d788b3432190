package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// RANGE: start, start+delta, ... up to but excluding limit. Values are
// accumulated by repeated addition, as TFLite's kernel does (so float
// ranges drift the same way).

func addRange(r *Resolver) {
	r.Builtin[OpRange] = &Kernel{MaxVersion: 2, Prepare: rangePrepare, Eval: rangeEval}
}

func rangePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		return n.Errorf("expects 3 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	start, limit, delta, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if start == nil || limit == nil || delta == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	for i, t := range []*Tensor{start, limit, delta} {
		if t.NumElements() != 1 {
			return n.Errorf("input %d must be a scalar, got shape %v", i, t.Shape)
		}
		if t.Type != start.Type {
			return n.Errorf("inputs must have one type, got %s, %s and %s", start.Type, limit.Type, delta.Type)
		}
	}
	switch start.Type {
	case models.Float32, models.Int32, models.Int64:
	default:
		return n.Errorf("input type %s is not supported", start.Type)
	}
	out.Type = start.Type
	if !start.Const || !limit.Const || !delta.Const {
		c.SetDynamic(out)
		return nil
	}
	size, err := rangeSize(n, start, limit, delta)
	if err != nil {
		return err
	}
	return c.Resize(out, []int{size})
}

// rangeSize is the element count, checked for sign and size.
func rangeSize(n *Node, start, limit, delta *Tensor) (int, error) {
	if err := ewHaveData(n, start, limit, delta); err != nil {
		return 0, err
	}
	var s, l, d, size float64
	switch start.Type {
	case models.Float32:
		s, l, d = float64(start.F32()[0]), float64(limit.F32()[0]), float64(delta.F32()[0])
		size = math.Ceil(math.Abs((l - s) / d))
	case models.Int32:
		s, l, d = float64(start.I32()[0]), float64(limit.I32()[0]), float64(delta.I32()[0])
	default:
		s, l, d = float64(start.I64()[0]), float64(limit.I64()[0]), float64(delta.I64()[0])
	}
	if d == 0 {
		return 0, n.Errorf("delta must not be zero")
	}
	if (s > l && d > 0) || (s < l && d < 0) {
		return 0, n.Errorf("delta %g does not lead from start %g to limit %g", d, s, l)
	}
	if start.Type != models.Float32 {
		size = math.Ceil(math.Abs(l-s) / math.Abs(d))
	}
	if !(size <= float64(maxTensorBytes/start.Type.Size())) {
		return 0, n.Errorf("range of %g elements is too large", size)
	}
	return int(size), nil
}

func rangeEval(c Context, n *Node) error {
	start, limit, delta, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	size, err := rangeSize(n, start, limit, delta)
	if err != nil {
		return err
	}
	if out.Dynamic {
		if err := c.Resize(out, []int{size}); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if out.NumElements() != size {
		return n.Errorf("output has %d elements, the range %d", out.NumElements(), size)
	}
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	switch start.Type {
	case models.Float32:
		rangeFill(out.F32()[:size], start.F32()[0], delta.F32()[0])
	case models.Int32:
		rangeFill(out.I32()[:size], start.I32()[0], delta.I32()[0])
	default:
		rangeFill(out.I64()[:size], start.I64()[0], delta.I64()[0])
	}
	return nil
}

func rangeFill[T float32 | int32 | int64](o []T, v, d T) {
	for i := range o {
		o[i] = v
		v += d
	}
}
