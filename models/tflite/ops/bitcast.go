package ops

// BITCAST reinterprets the input's bytes as the output's type: a wider
// input gains a last dimension of in/out size, a narrower one loses its
// last dimension, which must be out/in size.

func addBitcast(r *Resolver) {
	r.Builtin[OpBitcast] = &Kernel{MaxVersion: 1, Prepare: bitcastPrepare, Eval: bitcastEval}
}

func bitcastPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	is, os := in.Type.Size(), out.Type.Size()
	if is == 0 || os == 0 {
		return n.Errorf("bitcast from %s to %s is not supported (fixed-size types only)", in.Type, out.Type)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	rank := in.Dims()
	var shape []int
	switch {
	case is > os:
		shape = append(append(make([]int, 0, rank+1), in.Shape...), is/os)
	case is < os:
		if rank == 0 || in.Shape[rank-1] != os/is {
			return n.Errorf("input tensor %q shape %v must end in %d to bitcast %s to %s", in.Name, in.Shape, os/is, in.Type, out.Type)
		}
		shape = append(make([]int, 0, rank-1), in.Shape[:rank-1]...)
	default:
		shape = append(make([]int, 0, rank), in.Shape...)
	}
	if err := c.Reserve(len(shape) * intSize); err != nil {
		return n.Errorf("%v", err)
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func bitcastEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	b := in.NumElements() * in.Type.Size()
	if len(in.Data) < b || len(out.Data) < b {
		return n.Errorf("input tensor %q or output tensor %q has fewer than %d bytes of data", in.Name, out.Name, b)
	}
	copy(out.Data[:b], in.Data[:b])
	return nil
}
