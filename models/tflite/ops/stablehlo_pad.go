package ops

// STABLEHLO_PAD: StableHLO's pad with edge padding (negative values crop)
// and interior padding between elements:
//
//	out[d] = low[d] + high[d] + in[d] + (in[d]-1)*interior[d]   (in[d] > 0)
//
// Input element i lands at low + i*(interior+1) in every dimension and is
// dropped when that falls outside the output; everything else is the
// padding value. Any fixed-size type; elements move as bytes.

func addStablehloPad(r *Resolver) {
	r.Builtin[OpStablehloPad] = &Kernel{MaxVersion: 1, Prepare: shloPadPrepare, Eval: shloPadEval}
}

type shloPadState struct {
	low, step []int // per dimension: edge_padding_low, interior+1
	shape     []int // output shape
	ostride   []int
	coord     []int
}

// readStablehloPadOptions returns edge_padding_low, edge_padding_high and
// interior_padding for a rank-r operand.
func readStablehloPadOptions(n *Node, rank int) (low, high, interior []int64, err error) {
	o := n.Opts.(*StablehloPadOptions)
	for _, f := range []struct {
		v    []int64
		what string
	}{{o.EdgePaddingLow, "edge_padding_low"}, {o.EdgePaddingHigh, "edge_padding_high"}, {o.InteriorPadding, "interior_padding"}} {
		if len(f.v) != rank {
			return nil, nil, nil, n.Errorf("%s has %d entries for a rank-%d operand", f.what, len(f.v), rank)
		}
	}
	return o.EdgePaddingLow, o.EdgePaddingHigh, o.InteriorPadding, nil
}

func shloPadPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs (operand, padding_value) and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, pv, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || pv == nil || out == nil {
		return n.Errorf("operand, padding_value and output tensors are required")
	}
	if in.Type.Size() == 0 || pv.Type != in.Type || out.Type != in.Type {
		return n.Errorf("operand %q (%s), padding_value %q (%s) and output %q (%s) must share one fixed-size type", in.Name, in.Type, pv.Name, pv.Type, out.Name, out.Type)
	}
	if pv.NumElements() != 1 {
		return n.Errorf("padding_value tensor %q must have one element, got shape %v", pv.Name, pv.Shape)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("operand tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	rank := in.Dims()
	low, high, interior, err := readStablehloPadOptions(n, rank)
	if err != nil {
		return err
	}
	st := &shloPadState{}
	if err := allocAll(c, slot(&st.low, rank), slot(&st.step, rank), slot(&st.shape, rank), slot(&st.ostride, rank), slot(&st.coord, rank)); err != nil {
		return n.Errorf("%v", err)
	}
	const lim = 1 << 31
	for i, d := range in.Shape {
		if interior[i] < 0 || interior[i] >= lim || low[i] <= -lim || low[i] >= lim || high[i] <= -lim || high[i] >= lim {
			return n.Errorf("padding of dimension %d (low %d, high %d, interior %d) is out of range", i, low[i], high[i], interior[i])
		}
		o := low[i] + high[i]
		if d > 0 {
			o += int64(d) + int64(d-1)*interior[i]
		}
		if o < 0 || o >= lim {
			return n.Errorf("dimension %d of size %d padded by (%d, %d, %d) has size %d", i, d, low[i], high[i], interior[i], o)
		}
		st.low[i], st.step[i], st.shape[i] = int(low[i]), int(interior[i])+1, int(o)
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	s := 1
	for i := rank - 1; i >= 0; i-- {
		st.ostride[i] = s
		s *= st.shape[i]
	}
	n.State = st
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func shloPadEval(c Context, n *Node) error {
	st, ok := n.State.(*shloPadState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, pv, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if err := ewHaveData(n, in, pv, out); err != nil {
		return err
	}
	size := in.Type.Size()
	total, k := out.NumElements(), in.NumElements()
	p := pv.Data[:size]
	for i := 0; i < total; i++ {
		copy(out.Data[i*size:(i+1)*size], p)
	}
	if k == 0 || total == 0 {
		return nil
	}
	clear(st.coord)
	rank := len(st.shape)
	for i := 0; i < k; i++ {
		off, inside := 0, true
		for d := 0; d < rank; d++ {
			o := st.low[d] + st.coord[d]*st.step[d]
			if o < 0 || o >= st.shape[d] {
				inside = false
				break
			}
			off += o * st.ostride[d]
		}
		if inside {
			copy(out.Data[off*size:(off+1)*size], in.Data[i*size:(i+1)*size])
		}
		for d := rank - 1; d >= 0; d-- {
			st.coord[d]++
			if st.coord[d] < in.Shape[d] {
				break
			}
			st.coord[d] = 0
		}
	}
	return nil
}
