package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// LOCAL_RESPONSE_NORMALIZATION over the last dimension of a 4-D float32
// tensor, as TFLite's registered (optimized) kernel computes it:
//
//	out[c] = in[c] * (bias + sum_{|k-c|<=radius} alpha*in[k]^2) ^ -beta
//
// The window sum is a running sum over a zero-padded column of
// alpha-scaled squares (added on the right, subtracted on the left), and
// beta 1 and 0.5 take 1/d and 1/sqrt(d), so the float32 rounding is
// TFLite's.

func addLRN(r *Resolver) {
	r.Builtin[OpLocalResponseNormalization] = &Kernel{MaxVersion: 1, Prepare: lrnPrepare, Eval: lrnEval}
}

type lrnOpts struct {
	radius            int
	bias, alpha, beta float32
}

func readLRNOptions(n *Node) lrnOpts {
	o := n.Opts.(*LocalResponseNormalizationOptions)
	return lrnOpts{radius: int(o.Radius), bias: o.Bias, alpha: o.Alpha, beta: o.Beta}
}

type lrnState struct {
	opts   lrnOpts
	depth  int
	padded []float32 // depth + 2*radius alpha-scaled squares
}

func lrnPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	if in.Dims() != 4 {
		return n.Errorf("input tensor %q must be 4-D, got shape %v", in.Name, in.Shape)
	}
	if in.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("input tensor %q and output tensor %q must be float32, got %s and %s", in.Name, out.Name, in.Type, out.Type)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	o := readLRNOptions(n)
	if o.radius < 0 {
		return n.Errorf("radius %d is negative", o.radius)
	}
	depth := in.Shape[3]
	if o.radius > (math.MaxInt-depth)/2 {
		return n.Errorf("radius %d is too large", o.radius)
	}
	size := depth + 2*o.radius
	st := &lrnState{opts: o, depth: depth}
	var err error
	if st.padded, err = allocSlice[float32](c, size); err != nil {
		return n.Errorf("window buffer: %v", err)
	}
	n.State = st
	if err := c.Resize(out, in.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func lrnEval(c Context, n *Node) error {
	st, ok := n.State.(*lrnState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	total := in.NumElements()
	if err := checkData(n, "input", in, total); err != nil {
		return err
	}
	if err := checkData(n, "output", out, total); err != nil {
		return err
	}
	if st.depth == 0 {
		return nil
	}
	o, r, d := st.opts, st.opts.radius, st.depth
	x, y := in.F32()[:total], out.F32()[:total]
	sq := st.padded[r : r+d]
	for off := 0; off < total; off += d {
		col, dst := x[off:off+d], y[off:off+d]
		for i, v := range col {
			sq[i] = v * v * o.alpha
		}
		var acc float32
		for _, v := range st.padded[:2*r] {
			acc += v
		}
		for i := range dst {
			acc += st.padded[i+2*r]
			dst[i] = o.bias + acc
			acc -= st.padded[i]
		}
	}
	switch o.beta {
	case 1:
		for i, v := range x {
			y[i] = v * (1 / y[i])
		}
	case 0.5:
		for i, v := range x {
			y[i] = v * (1 / float32(math.Sqrt(float64(y[i]))))
		}
	default:
		nb := float64(-o.beta)
		for i, v := range x {
			y[i] = v * float32(math.Pow(float64(y[i]), nb))
		}
	}
	return nil
}
