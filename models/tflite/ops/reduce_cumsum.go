package ops

import (
	"github.com/axle-edge/axle/models"
)

// CUMSUM: running sums along one axis, optionally exclusive (each output
// leaves out its own element) and reversed (summing from the end). Sums are
// in the element type, in order, as TFLite's reference kernel does.

func addCumsum(r *Resolver) {
	r.Builtin[OpCumsum] = &Kernel{MaxVersion: 1, Prepare: cumsumPrepare, Eval: cumsumEval}
}

func cumsumPrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	switch in.Type {
	case models.Float32, models.Int32, models.Int64:
	default:
		return n.Errorf("input type %s is not supported", in.Type)
	}
	axis := c.Input(n, 1)
	if axis == nil || axis.Type != models.Int32 || axis.NumElements() != 1 {
		return n.Errorf("axis must be one int32 value")
	}
	if in.Dims() == 0 {
		return n.Errorf("input must have at least one dimension")
	}
	if axis.Const {
		if _, _, _, err := cumsumAxis(n, in, axis); err != nil {
			return err
		}
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	return c.Resize(out, in.Shape)
}

// cumsumAxis splits the input around the axis: outer x dim x inner.
func cumsumAxis(n *Node, in, axisT *Tensor) (outer, dim, inner int, err error) {
	a, err := scalarInt(axisT, "axis")
	if err != nil {
		return 0, 0, 0, n.Errorf("%v", err)
	}
	ax, err := normAxis(a, in.Dims(), "axis")
	if err != nil {
		return 0, 0, 0, n.Errorf("%v", err)
	}
	outer, inner = 1, 1
	for i, d := range in.Shape {
		switch {
		case i < ax:
			outer *= d
		case i > ax:
			inner *= d
		}
	}
	return outer, in.Shape[ax], inner, nil
}

func cumsumEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	outer, dim, inner, err := cumsumAxis(n, in, c.Input(n, 1))
	if err != nil {
		return err
	}
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	o := n.Opts.(*CumsumOptions)
	exclusive, reverse := o.Exclusive, o.Reverse
	total := outer * dim * inner
	switch in.Type {
	case models.Float32:
		cumsum(in.F32()[:total], out.F32()[:total], outer, dim, inner, exclusive, reverse)
	case models.Int32:
		cumsum(in.I32()[:total], out.I32()[:total], outer, dim, inner, exclusive, reverse)
	default:
		cumsum(in.I64()[:total], out.I64()[:total], outer, dim, inner, exclusive, reverse)
	}
	return nil
}

func cumsum[T float32 | int32 | int64](in, out []T, outer, dim, inner int, exclusive, reverse bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var acc T
			for k := 0; k < dim; k++ {
				j := k
				if reverse {
					j = dim - 1 - k
				}
				p := (o*dim+j)*inner + i
				if exclusive {
					out[p] = acc
					acc += in[p]
				} else {
					acc += in[p]
					out[p] = acc
				}
			}
		}
	}
}
