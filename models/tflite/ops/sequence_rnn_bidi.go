package ops

import (
	"context"

	"github.com/axle-edge/axle/models"
)

// BIDIRECTIONAL_SEQUENCE_RNN: a forward cell runs the sequence from the
// first step to the last and a backward cell from the last to the first,
// each with its own weights and hidden state (sequence_rnn.go's step). The
// outputs are two tensors, or one with the forward and backward units side
// by side (merge_outputs). An optional auxiliary input either feeds both
// cells through their aux weights, or, without aux weights, replaces the
// backward cell's input (TFLite's "non-stacking" mode for a layer stacked on
// a previous bidirectional one).
//
// Three TFLite behaviours are kept on purpose, so outputs match it:
// batch-major sequences feed the backward cell the main input even in
// non-stacking mode (the aux input is then not read); time-major aux rows
// are addressed with the main input's row size (so a time-major aux input
// must have the input's shape here); and
// the hybrid time-major kernel runs the whole sequence max_time times over,
// the hidden states carrying through, keeping the last pass's outputs.

const (
	bidiIn = iota
	bidiFwWeights
	bidiFwRec
	bidiFwBias
	bidiFwHidden
	bidiBwWeights
	bidiBwRec
	bidiBwBias
	bidiBwHidden
	bidiAuxIn
	bidiFwAux
	bidiBwAux
)

type bidiRNN struct {
	rnnShared
	fw, bw          rnnDir
	input, auxInput int
	batch, steps    int
	timeMajor       bool
	merge           bool
	nonStacking     bool // aux input without aux weights: it is the backward input
}

func bidiRNNPrepare(c Context, n *Node) error {
	o := n.Opts.(*BidirectionalSequenceRNNOptions)
	s := &bidiRNN{timeMajor: o.TimeMajor, merge: o.MergeOutputs}
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	s.act, s.asym = act, o.AsymmetricQuantizeInputs
	outs := 2
	if s.merge {
		outs = 1
	}
	if len(n.Inputs) != 12 || len(n.Outputs) != outs {
		return n.Errorf("has %d inputs and %d outputs, want 12 and %d (merge_outputs %v)", len(n.Inputs), len(n.Outputs), outs, s.merge)
	}
	in := c.Input(n, bidiIn)
	if in == nil {
		return n.Errorf("input is required")
	}
	if s.steps, s.batch, s.input, err = rnnSeqShape(n, in, s.timeMajor); err != nil {
		return err
	}
	fwW, fwR, fwB, fwH := c.Input(n, bidiFwWeights), c.Input(n, bidiFwRec), c.Input(n, bidiFwBias), c.Input(n, bidiFwHidden)
	bwW, bwR, bwB, bwH := c.Input(n, bidiBwWeights), c.Input(n, bidiBwRec), c.Input(n, bidiBwBias), c.Input(n, bidiBwHidden)
	if err := s.fw.check(n, "forward ", fwW, fwR, fwB, fwH, s.batch, s.input); err != nil {
		return err
	}
	if err := s.bw.check(n, "backward ", bwW, bwR, bwB, bwH, s.batch, s.input); err != nil {
		return err
	}
	aux, fwAux, bwAux := c.Input(n, bidiAuxIn), c.Input(n, bidiFwAux), c.Input(n, bidiBwAux)
	if (fwAux == nil) != (bwAux == nil) {
		return n.Errorf("forward and backward aux weights must be both present or both absent")
	}
	if fwAux != nil && aux == nil {
		return n.Errorf("aux weights need an aux input")
	}
	s.nonStacking = aux != nil && fwAux == nil
	if aux != nil && s.timeMajor && !shapeIs(aux, in.Shape...) {
		// TFLite addresses these aux rows with the main input's sizes.
		return n.Errorf("aux input has shape %v; here it must have the input's shape %v", aux.Shape, in.Shape)
	}
	if fwAux != nil {
		if aux.Dims() != 3 || aux.Shape[0] != in.Shape[0] || aux.Shape[1] != in.Shape[1] {
			return n.Errorf("aux input has shape %v, want [%d %d aux]", aux.Shape, in.Shape[0], in.Shape[1])
		}
		s.auxInput = aux.Shape[2]
		for _, a := range []struct {
			what string
			t    *Tensor
			d    *rnnDir
		}{{"forward", fwAux, &s.fw}, {"backward", bwAux, &s.bw}} {
			if !shapeIs(a.t, a.d.units, s.auxInput) {
				return n.Errorf("%s aux weights have shape %v, want [%d %d]", a.what, a.t.Shape, a.d.units, s.auxInput)
			}
			a.d.aux.cols = s.auxInput
		}
	}
	if err := s.prepareTypes(c, n, in, aux, fwAux, bwAux); err != nil {
		return err
	}
	fwUnits := s.fw.units
	if s.merge {
		fwUnits += s.bw.units
	}
	if err := c.Resize(c.Output(n, 0), rnnSeqOut(s.steps, s.batch, fwUnits, s.timeMajor)); err != nil {
		return n.Errorf("forward output: %v", err)
	}
	if !s.merge {
		if err := c.Resize(c.Output(n, 1), rnnSeqOut(s.steps, s.batch, s.bw.units, s.timeMajor)); err != nil {
			return n.Errorf("backward output: %v", err)
		}
	}
	n.State = s
	return nil
}

func (s *bidiRNN) prepareTypes(c Context, n *Node, in, aux, fwAux, bwAux *Tensor) error {
	floats := []int{bidiIn, bidiFwBias, bidiFwHidden, bidiBwBias, bidiBwHidden, bidiAuxIn}
	for _, slot := range floats {
		if t := c.Input(n, slot); t != nil && t.Type != models.Float32 {
			return n.Errorf("tensor %q is %s; inputs, biases and hidden states must be float32", t.Name, t.Type)
		}
	}
	for i := range n.Outputs {
		if out := c.Output(n, i); out == nil || out.Type != models.Float32 {
			return n.Errorf("output %d must be a float32 tensor", i)
		}
	}
	fwW, fwR := c.Input(n, bidiFwWeights), c.Input(n, bidiFwRec)
	bwW, bwR := c.Input(n, bidiBwWeights), c.Input(n, bidiBwRec)
	hybrid, err := rnnWeightKind(n, fwW, fwR)
	if err != nil {
		return err
	}
	for _, t := range []*Tensor{bwW, bwR, fwAux, bwAux} {
		if t != nil && t.Type != fwW.Type {
			return n.Errorf("weights %q are %s, the forward weights %s", t.Name, t.Type, fwW.Type)
		}
	}
	if !hybrid {
		return nil
	}
	s.hybrid = true
	if err := s.fw.prepareHybrid(c, n, "forward ", fwW, fwR, fwAux, s.batch); err != nil {
		return err
	}
	if err := s.bw.prepareHybrid(c, n, "backward ", bwW, bwR, bwAux, s.batch); err != nil {
		return err
	}
	rows := s.batch
	if !s.timeMajor {
		rows = min(s.batch, 1)
	}
	return s.allocSteps(c, n, rows, s.input, s.auxInput)
}

func bidiRNNEval(c Context, n *Node) error {
	s, ok := n.State.(*bidiRNN)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, aux := c.Input(n, bidiIn), c.Input(n, bidiAuxIn)
	rows := s.batch * s.steps
	if err := checkData(n, "input", in, rows*s.input); err != nil {
		return err
	}
	auxLen := s.auxInput
	if s.nonStacking {
		auxLen = s.input
	}
	if aux != nil && (s.timeMajor || !s.nonStacking) {
		if err := checkData(n, "aux input", aux, rows*auxLen); err != nil {
			return err
		}
	}
	fwAux, bwAux := c.Input(n, bidiFwAux), c.Input(n, bidiBwAux)
	for _, d := range []struct {
		d             *rnnDir
		w, r, a, b, h int
	}{{&s.fw, bidiFwWeights, bidiFwRec, bidiFwAux, bidiFwBias, bidiFwHidden}, {&s.bw, bidiBwWeights, bidiBwRec, bidiBwAux, bidiBwBias, bidiBwHidden}} {
		if err := d.d.checkData(n, c.Input(n, d.w), c.Input(n, d.r), c.Input(n, d.a), c.Input(n, d.b), c.Input(n, d.h), s.batch); err != nil {
			return err
		}
	}
	outStep := s.fw.units
	if s.merge {
		outStep += s.bw.units
	}
	fwOut := c.Output(n, 0)
	if err := checkData(n, "forward output", fwOut, rows*outStep); err != nil {
		return err
	}
	s.fw.bind(&s.rnnShared, c.Input(n, bidiFwWeights), c.Input(n, bidiFwRec), fwAux, c.Input(n, bidiFwBias), c.Input(n, bidiFwHidden))
	s.bw.bind(&s.rnnShared, c.Input(n, bidiBwWeights), c.Input(n, bidiBwRec), bwAux, c.Input(n, bidiBwBias), c.Input(n, bidiBwHidden))
	s.fw.outF, s.fw.outStride = fwOut.F32(), outStep
	if s.merge {
		s.bw.outF, s.bw.outStride = fwOut.F32()[s.fw.units:], outStep
	} else {
		bwOut := c.Output(n, 1)
		if err := checkData(n, "backward output", bwOut, rows*s.bw.units); err != nil {
			return err
		}
		s.bw.outF, s.bw.outStride = bwOut.F32(), s.bw.units
	}
	x := in.F32()
	var auxF []float32
	if aux != nil {
		auxF = aux.F32()
	}
	err := s.run(c.Ctx(), x, auxF)
	s.fw.unbind()
	s.bw.unbind()
	if err != nil {
		return flowErr(n, err, "stopped between hybrid passes")
	}
	return nil
}

// run runs both directions over the sequence (see the file comment for the
// TFLite behaviours kept here). The hybrid time-major passes grow with the
// square of the sequence length, so they stop when ctx is cancelled.
func (s *bidiRNN) run(ctx context.Context, x, aux []float32) error {
	k, ka := s.input, s.auxInput
	bwX, stackAux := x, aux
	if s.nonStacking {
		bwX, stackAux = aux, nil
	}
	if s.timeMajor {
		passes := 1
		if s.hybrid {
			passes = s.steps
		}
		nb := s.batch
		for range passes {
			if ctx != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			for t := 0; t < s.steps; t++ {
				s.step(&s.fw, x[t*nb*k:(t+1)*nb*k], rnnRows(stackAux, t*nb*k, nb*ka), s.fw.hidden, s.fw.outF[t*nb*s.fw.outStride:], nb)
			}
			for t := s.steps - 1; t >= 0; t-- {
				s.step(&s.bw, bwX[t*nb*k:(t+1)*nb*k], rnnRows(stackAux, t*nb*k, nb*ka), s.bw.hidden, s.bw.outF[t*nb*s.bw.outStride:], nb)
			}
		}
		return nil
	}
	for b := 0; b < s.batch; b++ {
		fh := s.fw.hidden[b*s.fw.units : (b+1)*s.fw.units]
		for t := 0; t < s.steps; t++ {
			r := b*s.steps + t
			s.step(&s.fw, x[r*k:(r+1)*k], rnnRows(stackAux, r*ka, ka), fh, s.fw.outF[r*s.fw.outStride:], 1)
		}
		bh := s.bw.hidden[b*s.bw.units : (b+1)*s.bw.units]
		for t := s.steps - 1; t >= 0; t-- {
			r := b*s.steps + t
			s.step(&s.bw, x[r*k:(r+1)*k], rnnRows(stackAux, r*ka, ka), bh, s.bw.outF[r*s.bw.outStride:], 1)
		}
	}
	return nil
}

// rnnRows is v[off:off+n], or nil without v.
func rnnRows(v []float32, off, n int) []float32 {
	if v == nil {
		return nil
	}
	return v[off : off+n]
}
