package ops

import (
	"github.com/axle-edge/axle/models"
)

// REVERSE_SEQUENCE reverses, for every index b along batch_dim, the first
// seq_lengths[b] elements along seq_dim; the rest is copied. Elements are
// moved as bytes (float32, int32, int64, int16, uint8 as TFLite).

func addReverseSequence(r *Resolver) {
	r.Builtin[OpReverseSequence] = &Kernel{MaxVersion: 1, Prepare: revSeqPrepare, Eval: revSeqEval}
}

func readReverseSequenceOptions(n *Node) (seqDim, batchDim int) {
	o := n.Opts.(*ReverseSequenceOptions)
	return int(o.SeqDim), int(o.BatchDim)
}

type revSeqState struct {
	seqDim, batchDim       int
	seqStride, batchStride int
}

func revSeqPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, lens, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || lens == nil || out == nil {
		return n.Errorf("input, seq_lengths and output tensors are required")
	}
	switch in.Type {
	case models.Float32, models.Int32, models.UInt8, models.Int16, models.Int64:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	if out.Type != in.Type {
		return n.Errorf("output tensor %q type %s differs from input type %s", out.Name, out.Type, in.Type)
	}
	if lens.Dims() != 1 || (lens.Type != models.Int32 && lens.Type != models.Int64) {
		return n.Errorf("seq_lengths tensor %q must be 1-D int32 or int64, got %s %v", lens.Name, lens.Type, lens.Shape)
	}
	if _, ok := mulChecked(in.Shape...); !ok {
		return n.Errorf("input tensor %q shape %v is invalid or too large", in.Name, in.Shape)
	}
	sd, bd := readReverseSequenceOptions(n)
	rank := in.Dims()
	if sd < 0 || bd < 0 || sd >= rank || bd >= rank || sd == bd {
		return n.Errorf("seq_dim %d and batch_dim %d must be different dimensions of the rank-%d input", sd, bd, rank)
	}
	if lens.Shape[0] != in.Shape[bd] {
		return n.Errorf("seq_lengths tensor %q has %d elements, batch dimension %d has %d", lens.Name, lens.Shape[0], bd, in.Shape[bd])
	}
	st := &revSeqState{seqDim: sd, batchDim: bd, seqStride: 1, batchStride: 1}
	for d := rank - 1; d > sd; d-- {
		st.seqStride *= in.Shape[d]
	}
	for d := rank - 1; d > bd; d-- {
		st.batchStride *= in.Shape[d]
	}
	n.State = st
	if err := c.Resize(out, in.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func revSeqEval(c Context, n *Node) error {
	st, ok := n.State.(*revSeqState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, lens, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	total := in.NumElements()
	nb, ns := in.Shape[st.batchDim], in.Shape[st.seqDim]
	for _, e := range []struct {
		what  string
		t     *Tensor
		elems int
	}{{"input", in, total}, {"output", out, total}, {"seq_lengths", lens, nb}} {
		if err := checkData(n, e.what, e.t, e.elems); err != nil {
			return err
		}
	}
	for b := 0; b < nb; b++ {
		if l := s2dAt(lens, b); l < 0 || l > int64(ns) {
			return n.Errorf("seq_lengths tensor %q: element %d is %d, outside [0, %d]", lens.Name, b, l, ns)
		}
	}
	size := in.Type.Size()
	for i := 0; i < total; i++ {
		s := (i / st.seqStride) % ns
		b := (i / st.batchStride) % nb
		src := i
		if l := int(s2dAt(lens, b)); s < l {
			src = i + (l-1-2*s)*st.seqStride
		}
		copy(out.Data[i*size:(i+1)*size], in.Data[src*size:(src+1)*size])
	}
	return nil
}
