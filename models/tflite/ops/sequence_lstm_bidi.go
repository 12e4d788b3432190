package ops

import (
	"strings"

	"github.com/axle-edge/axle/models"
)

// BIDIRECTIONAL_SEQUENCE_LSTM: a forward LSTM runs the sequence from the
// first step to the last and a backward LSTM from the last to the first,
// each with its own weights and states. Each direction is checked and
// prepared as a UNIDIRECTIONAL_SEQUENCE_LSTM over a view of the node (its
// 17 weight slots, its two states), and stepped one batch row at a time
// with the float or hybrid step of sequence_lstm*.go, so the outputs can be
// written into a merged tensor (forward units, then backward units, per
// row). An optional aux input feeds both directions through their aux
// weights; it is folded into the gate biases of each step (float, or
// quantized per row for hybrid), before the input and recurrent products
// are added (TFLite adds it after the input product; the sums differ only in
// float rounding). Without aux weights the aux input is the backward
// direction's input (TFLite's non-stacking mode). Stepping one row at a
// time computes what a whole-batch step does: every gate, quantization
// scale and state row of the LSTM is per batch row.
//
// TFLite 2.14 behaviours kept or refused on purpose:
//   - aux rows are addressed with the main input's row size (lstm_eval uses
//     the input step for the aux pointer), so aux row k starts at element
//     k*n_input of the aux tensor; a model for which that runs past the aux
//     tensor is refused.
//   - batch-major with merge_outputs and more than one batch offsets each
//     batch's state by the merged output width instead of the direction's
//     output size, which reads and writes past the state tensors in TFLite;
//     such models are refused rather than given made-up results.
//   - there is no layer norm and no diagonal recurrent weights.

// Input slots of the bidirectional LSTM, per TFLite's kernel.
const (
	biLstmIn         = 0
	biLstmFw         = 1  // forward slots 1..17 follow the lstm::full order 1..17
	biLstmBw         = 18 // backward slots 18..34 likewise
	biLstmFwOutState = 35
	biLstmFwCell     = 36
	biLstmBwOutState = 37
	biLstmBwCell     = 38
	biLstmAuxIn      = 39
	biLstmFwAux      = 40 // + gate
	biLstmBwAux      = 44 // + gate
	biLstmInputs     = 48
)

// biLstmDir is one direction: a unidirectional view of the node and its
// prepared kernel state.
type biLstmDir struct {
	node      Node
	st        lstmState
	forward   bool
	auxSlot   int                 // first aux weight slot of the real node
	auxScale  [numGates]float32   // hybrid aux weight scales
	auxSum    [numGates][]int32   // hybrid aux weight row sums (asymmetric)
	auxBias   [numGates][]float32 // bias + aux product for one row
	f         lstmFloatTensors
	outOffset int // where this direction's units start in an output row
	width     int // units per output row

	// bound for one Eval
	bias0 [numGates][]float32 // the gate biases the aux product is added to
	auxWf [numGates][]float32
	auxWq [numGates][]int8
}

type biLstm struct {
	fw, bw    *biLstmDir // from Context.Reserve: larger than a node's state budget
	timeMajor bool
	merge     bool
	aux       bool // aux weights present: aux input feeds both directions
	nAux      int
	outWidth  int // units per row of output 0: forward, or both when merged
	bwWidth   int // units per row of the separate backward output
	asym      bool

	// hybrid aux input quantized per row
	qAux  []int8
	auxSF []float32
	auxZP []int32
}

func biLstmPrepare(c Context, n *Node) error {
	o, ok := n.Opts.(*BidirectionalSequenceLSTMOptions)
	if !ok {
		return n.Errorf("options are %T, want BidirectionalSequenceLSTMOptions", n.Opts)
	}
	s := &biLstm{timeMajor: o.TimeMajor, merge: o.MergeOutputs, asym: o.AsymmetricQuantizeInputs}
	outs := 2
	if s.merge {
		outs = 1
	}
	if len(n.Inputs) != biLstmInputs || len(n.Outputs) != outs {
		return n.Errorf("has %d inputs and %d outputs, want %d and %d (merge_outputs %v)", len(n.Inputs), len(n.Outputs), biLstmInputs, outs, s.merge)
	}
	in := c.Input(n, biLstmIn)
	if in == nil || in.Type != models.Float32 || in.Dims() != 3 {
		return n.Errorf("input must be a float32 tensor of rank 3")
	}
	aux := c.Input(n, biLstmAuxIn)
	s.aux = c.Input(n, biLstmFwAux+gateForget) != nil
	nonStacking := aux != nil && !s.aux
	if s.aux && aux == nil {
		return n.Errorf("aux weights need an aux input")
	}
	if nonStacking && !shapeIs(aux, in.Shape...) {
		return n.Errorf("aux input (the backward input without aux weights) has shape %v, want the input's %v", aux.Shape, in.Shape)
	}
	if aux != nil && aux.Type != models.Float32 {
		return n.Errorf("aux input %q is %s, want float32", aux.Name, aux.Type)
	}

	dirs, err := makeSlice[biLstmDir](c, 2)
	if err != nil {
		return n.Errorf("kernel state: %v", err)
	}
	s.fw, s.bw = &dirs[0], &dirs[1]
	uni := &UnidirectionalSequenceLSTMOptions{
		FusedActivationFunction: o.FusedActivationFunction, CellClip: o.CellClip, ProjClip: o.ProjClip,
		TimeMajor: o.TimeMajor, AsymmetricQuantizeInputs: o.AsymmetricQuantizeInputs,
	}
	s.fw.forward, s.fw.auxSlot = true, biLstmFwAux
	s.bw.auxSlot = biLstmBwAux
	fwIn, bwIn := n.Inputs[biLstmIn], n.Inputs[biLstmIn]
	if nonStacking {
		bwIn = n.Inputs[biLstmAuxIn]
	}
	fwOut, bwOut := n.Outputs[0], n.Outputs[0]
	if !s.merge {
		bwOut = n.Outputs[1]
	}
	if err := s.fw.view(c, n, uni, "forward", fwIn, biLstmFw, biLstmFwOutState, biLstmFwCell, fwOut); err != nil {
		return err
	}
	if err := s.bw.view(c, n, uni, "backward", bwIn, biLstmBw, biLstmBwOutState, biLstmBwCell, bwOut); err != nil {
		return err
	}
	fs, bs := &s.fw.st.lstmShape, &s.bw.st.lstmShape
	if (s.fw.st.hy == nil) != (s.bw.st.hy == nil) {
		return n.Errorf("forward and backward weights must both be float32 or both 8-bit (hybrid)")
	}
	if bs.nTime != fs.nTime || bs.nBatch != fs.nBatch || bs.nInput != fs.nInput {
		return n.Errorf("backward input-to-output weights have %d columns, the input %d features", bs.nInput, fs.nInput)
	}
	s.outWidth, s.bwWidth = fs.nOutput, bs.nOutput
	s.fw.width, s.bw.width = fs.nOutput, bs.nOutput
	if s.merge {
		s.outWidth += bs.nOutput
		s.fw.width, s.bw.width = s.outWidth, s.outWidth
		s.bw.outOffset = fs.nOutput
		if !s.timeMajor && fs.nBatch > 1 {
			return n.Errorf("batch-major merge_outputs with %d batches is not supported: TFLite's kernel strides the states by the merged width and runs past them", fs.nBatch)
		}
	}
	shape := func(units int) []int {
		return []int{in.Shape[0], in.Shape[1], units}
	}
	if err := c.Resize(c.Output(n, 0), shape(s.outWidth)); err != nil {
		return n.Errorf("forward output: %v", err)
	}
	if !s.merge {
		if err := c.Resize(c.Output(n, 1), shape(s.bwWidth)); err != nil {
			return n.Errorf("backward output: %v", err)
		}
	}
	if s.aux {
		if aux.Dims() != 3 || aux.Shape[0] != in.Shape[0] || aux.Shape[1] != in.Shape[1] || aux.Shape[2] <= 0 {
			return n.Errorf("aux input has shape %v, want [%d %d aux_features]", aux.Shape, in.Shape[0], in.Shape[1])
		}
		s.nAux = aux.Shape[2]
		rows := fs.nBatch * fs.nTime
		// TFLite's aux rows start every n_input elements (see above).
		if last, ok := mulChecked(rows-1, fs.nInput); !ok || last+s.nAux > aux.NumElements() {
			return n.Errorf("aux input has %d features per row, fewer than the input's %d: TFLite addresses aux rows with the input's row size and would read past the aux tensor", s.nAux, fs.nInput)
		}
		if err := s.fw.prepareAux(c, n, s, "forward"); err != nil {
			return err
		}
		if err := s.bw.prepareAux(c, n, s, "backward"); err != nil {
			return err
		}
		if s.fw.st.hy != nil {
			if err := allocAll(c, slot(&s.qAux, s.nAux), slot(&s.auxSF, 1), slot(&s.auxZP, 1)); err != nil {
				return n.Errorf("scratch: %v", err)
			}
		}
	} else {
		for g := 0; g < numGates; g++ {
			if c.Input(n, biLstmFwAux+g) != nil || c.Input(n, biLstmBwAux+g) != nil {
				return n.Errorf("aux weights must be all present or all absent (forward and backward)")
			}
		}
	}
	n.State = s
	return nil
}

// view checks and prepares one direction as a unidirectional LSTM over the
// node's tensors; errors name the real node and the direction.
func (d *biLstmDir) view(c Context, n *Node, opts *UnidirectionalSequenceLSTMOptions, what string, in, first, outState, cell, out int) error {
	ins, err := makeSlice[int](c, lstmCellState+1)
	if err != nil {
		return n.Errorf("%s: %v", what, err)
	}
	ins[lstmIn] = in
	copy(ins[lstmInputWeights:lstmOutputState], n.Inputs[first:first+lstmOutputState-lstmInputWeights])
	ins[lstmOutputState], ins[lstmCellState] = n.Inputs[outState], n.Inputs[cell]
	outs, err := makeSlice[int](c, 1)
	if err != nil {
		return n.Errorf("%s: %v", what, err)
	}
	outs[0] = out
	d.node = Node{Index: n.Index, Op: OpUnidirectionalSequenceLstm, Version: 1, Inputs: ins, Outputs: outs, Opts: opts, OptsPresent: true}
	sub := &d.node
	rename := func(err error) error {
		msg := strings.TrimPrefix(err.Error(), sub.Errorf("").Error())
		return n.Errorf("%s direction: %s", what, msg)
	}
	s := &d.st
	if err := lstmCheck(c, sub, &s.lstmShape); err != nil {
		return rename(err)
	}
	for g := 0; g < numGates; g++ {
		if s.diag[g] {
			return n.Errorf("%s direction: recurrent-to-%s weights must be a [cells, outputs] matrix", what, gateNames[g])
		}
	}
	switch w := c.Input(sub, lstmInputWeights+gateOutput).Type; w {
	case models.Float32:
		s.f, err = lstmFloatPrepare(c, sub, &s.lstmShape)
	case models.Int8, models.UInt8:
		s.hy, err = lstmHybridPrepare(c, sub, &s.lstmShape)
	default:
		return n.Errorf("%s direction: weights are %s; want float32, or int8/uint8 (hybrid)", what, w)
	}
	if err != nil {
		return rename(err)
	}
	return nil
}

// prepareAux checks one direction's aux weights and allocates the row of
// biases the aux product is folded into.
func (d *biLstmDir) prepareAux(c Context, n *Node, s *biLstm, what string) error {
	st := &d.st
	iw := c.Input(&d.node, lstmInputWeights+gateOutput)
	for g := 0; g < numGates; g++ {
		t := c.Input(n, d.auxSlot+g)
		if g == gateInput && st.cifg {
			// TFLite never reads it for a CIFG cell.
			continue
		}
		if !shapeIs(t, st.nCell, s.nAux) {
			var got any = "missing"
			if t != nil {
				got = t.Shape
			}
			return n.Errorf("%s aux-input-to-%s weights are %v, want shape [%d %d]", what, gateNames[g], got, st.nCell, s.nAux)
		}
		if t.Type != iw.Type {
			return n.Errorf("%s aux-input-to-%s weights %q are %s, the input weights %s", what, gateNames[g], t.Name, t.Type, iw.Type)
		}
		if st.hy != nil {
			if t.Quant == nil || len(t.Quant.Scale) != 1 {
				return n.Errorf("%s aux-input-to-%s weights %q need exactly one quantization scale", what, gateNames[g], t.Name)
			}
			v, _, err := tensorScale(n, "aux weights", t)
			if err != nil {
				return err
			}
			d.auxScale[g] = float32(v)
			if err := allocAll(c, slot(&d.auxSum[g], st.nCell)); err != nil {
				return n.Errorf("scratch: %v", err)
			}
		}
		if err := allocAll(c, slot(&d.auxBias[g], st.nCell)); err != nil {
			return n.Errorf("scratch: %v", err)
		}
	}
	return nil
}

func biLstmEval(c Context, n *Node) error {
	s, ok := n.State.(*biLstm)
	if !ok {
		return n.Errorf("not prepared")
	}
	var aux []float32
	if s.aux {
		aux = c.Input(n, biLstmAuxIn).F32()
	}
	for _, d := range [2]*biLstmDir{s.fw, s.bw} {
		d.run(c, n, s, aux)
	}
	return nil
}

// run steps one direction over the whole sequence, one batch row at a
// time, in TFLite's order: time-major steps carry all batches, batch-major
// runs each batch's sequence on its own.
func (d *biLstmDir) run(c Context, n *Node, s *biLstm, aux []float32) {
	st := &d.st
	sub := &d.node
	nb, nt, ni, no, nc := st.nBatch, st.nTime, st.nInput, st.nOutput, st.nCell
	x := c.Input(sub, lstmIn).F32()
	out := c.Output(sub, 0).F32()
	hs, cell := c.Input(sub, lstmOutputState).F32(), c.Input(sub, lstmCellState).F32()
	d.bind(c, n, s)
	for i := 0; i < nb*nt; i++ {
		var b, t int
		if s.timeMajor {
			t, b = i/nb, i%nb
		} else {
			b, t = i/nt, i%nt
		}
		if !d.forward {
			t = nt - 1 - t
		}
		row := t*nb + b
		if !s.timeMajor {
			row = b*nt + t
		}
		if aux != nil {
			d.foldAux(s, aux[row*ni:row*ni+s.nAux])
		}
		xr := x[row*ni : (row+1)*ni]
		o := out[row*d.width+d.outOffset : row*d.width+d.outOffset+no]
		h, cs := hs[b*no:(b+1)*no], cell[b*nc:(b+1)*nc]
		if st.hy != nil {
			st.hy.step(st, xr, o, h, cs, 1)
		} else {
			lstmFloatStep(st, &d.f, xr, o, h, cs, 1)
		}
	}
	d.unbind()
}

// bind points the step's weight slices at this Eval's tensors, the gate
// biases at the aux-folded rows when there is an aux input.
func (d *biLstmDir) bind(c Context, n *Node, s *biLstm) {
	st, sub := &d.st, &d.node
	f32 := func(i int) []float32 {
		if t := c.Input(sub, i); t != nil {
			return t.F32()
		}
		return nil
	}
	i8 := func(t *Tensor) []int8 {
		if t != nil {
			// TFLite reads 8-bit hybrid weights as int8 whatever their type.
			return view[int8](t.Data)
		}
		return nil
	}
	for g := 0; g < numGates; g++ {
		d.bias0[g] = f32(lstmBias + g)
		if d.auxBias[g] == nil {
			continue
		}
		if t := c.Input(n, d.auxSlot+g); st.hy != nil {
			d.auxWq[g] = i8(t)
		} else {
			d.auxWf[g] = t.F32()
		}
	}
	bias := func(g int) []float32 {
		if d.auxBias[g] != nil {
			return d.auxBias[g]
		}
		return d.bias0[g]
	}
	if h := st.hy; h != nil {
		for g := 0; g < numGates; g++ {
			h.w[g], h.r[g], h.bias[g] = i8(c.Input(sub, lstmInputWeights+g)), i8(c.Input(sub, lstmRecWeights+g)), bias(g)
			h.peep[g], h.ln[g] = nil, nil
			if g != gateCell {
				h.peep[g] = i8(c.Input(sub, peepholeSlot(g)))
			}
		}
		h.proj, h.projBias = i8(c.Input(sub, lstmProjWeights)), f32(lstmProjBias)
		if h.asym && !h.sumsDone {
			// Once, on the first run, as TFLite's compute_row_sums.
			for g := 0; g < numGates; g++ {
				if h.w[g] != nil {
					rowSums(h.wSum[g], h.w[g], st.nCell, st.nInput)
					rowSums(h.rSum[g], h.r[g], st.nCell, st.nOutput)
				}
				if d.auxWq[g] != nil {
					rowSums(d.auxSum[g], d.auxWq[g], st.nCell, s.nAux)
				}
			}
			if h.proj != nil {
				rowSums(h.projSum, h.proj, st.nOutput, st.nCell)
			}
			h.sumsDone = true
		}
		return
	}
	f := &d.f
	for g := 0; g < numGates; g++ {
		f.w[g], f.r[g], f.bias[g] = f32(lstmInputWeights+g), f32(lstmRecWeights+g), bias(g)
		f.peep[g] = nil
		if g != gateCell {
			f.peep[g] = f32(peepholeSlot(g))
		}
	}
	f.proj, f.projBias = f32(lstmProjWeights), f32(lstmProjBias)
}

// foldAux sets each gate's bias row to bias + aux weights · a, a being one
// aux row (quantized per row for hybrid, skipped when all zero as TFLite).
func (d *biLstmDir) foldAux(s *biLstm, a []float32) {
	st := &d.st
	nc, na := st.nCell, s.nAux
	hybrid := st.hy != nil
	zero := hybrid && isZeroF32(a)
	if hybrid && !zero {
		quantizeRows(a, s.qAux, s.auxSF, s.auxZP, 1, na, s.asym)
	}
	for g := 0; g < numGates; g++ {
		dst := d.auxBias[g]
		if dst == nil {
			continue
		}
		copy(dst, d.bias0[g])
		switch {
		case zero:
		case hybrid:
			hybridMatAcc(dst, d.auxWq[g], d.auxScale[g], s.qAux, s.auxSF, s.auxZP, d.auxSum[g], 1, nc, na, s.asym)
		default:
			w := d.auxWf[g]
			for k := range dst {
				dst[k] += dotF32(w[k*na:(k+1)*na], a)
			}
		}
	}
}

// unbind drops this Eval's tensor data from the kernel state.
func (d *biLstmDir) unbind() {
	if h := d.st.hy; h != nil {
		h.w, h.r, h.peep, h.bias, h.ln = [numGates][]int8{}, [numGates][]int8{}, [numGates][]int8{}, [numGates][]float32{}, [numGates][]float32{}
		h.proj, h.projBias = nil, nil
	}
	d.f = lstmFloatTensors{}
	d.bias0, d.auxWf, d.auxWq = [numGates][]float32{}, [numGates][]float32{}, [numGates][]int8{}
}
