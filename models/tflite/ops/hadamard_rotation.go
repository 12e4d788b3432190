package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// aeq.hadamard_rotation: LiteRT's custom operator (registered by its
// builtin resolver, kernels/hadamard_rotation.cc) that rotates activations
// by a normalised Walsh-Hadamard transform.
//
// The float32 input is [features, size] or [batch, features, size]; each
// consecutive block of hadamard_size values along the last axis is
// replaced by its fast Walsh-Hadamard transform (butterflies in stage
// order, float arithmetic) times float32(1/sqrt(hadamard_size)). The
// output has the input's shape. The random_binary_vector option is read by
// LiteRT but not applied, so it is ignored here too. Unlike LiteRT, which
// skips the transform or runs across rows when hadamard_size is not a power
// of two or does not divide the last axis, and reinterprets int32 inputs as
// float, this kernel rejects those models at load.

type hadamardState struct {
	size int
	norm float32
}

func addHadamard(r *Resolver) {
	r.Custom["aeq.hadamard_rotation"] = &Kernel{MaxVersion: 1, Prepare: hadamardPrepare, Eval: hadamardEval}
}

func hadamardPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	m, err := audioOptions(n)
	if err != nil {
		return err
	}
	size, err := audioInt(n, m, "hadamard_size", true, 0, 1, math.MaxInt32)
	if err != nil {
		return err
	}
	if size&(size-1) != 0 {
		return n.Errorf("option hadamard_size = %d is not a power of two", size)
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output are required")
	}
	if in.Type != models.Float32 || out.Type != models.Float32 {
		return n.Errorf("input %q (%s) and output %q (%s) must be float32", in.Name, in.Type, out.Name, out.Type)
	}
	if d := in.Dims(); d != 2 && d != 3 {
		return n.Errorf("input %q shape %v must have rank 2 or 3", in.Name, in.Shape)
	}
	if last := in.Shape[in.Dims()-1]; last%int(size) != 0 {
		return n.Errorf("input %q last dimension %d is not a multiple of hadamard_size %d", in.Name, last, size)
	}
	if err := c.Resize(out, in.Shape); err != nil {
		return n.Errorf("output %q: %v", out.Name, err)
	}
	n.State = &hadamardState{size: int(size), norm: float32(1 / math.Sqrt(float64(size)))}
	return nil
}

func hadamardEval(c Context, n *Node) error {
	st, ok := n.State.(*hadamardState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	cnt := in.NumElements()
	o := out.F32()[:cnt]
	copy(o, in.F32()[:cnt])
	for start := 0; start+st.size <= cnt; start += st.size {
		d := o[start : start+st.size]
		for h := 1; h < len(d); h *= 2 {
			for i := 0; i < len(d); i += 2 * h {
				for j := i; j < i+h; j++ {
					x, y := d[j], d[j+h]
					d[j], d[j+h] = x+y, x-y
				}
			}
		}
		for i := range d {
			d[i] *= st.norm
		}
	}
	return nil
}
