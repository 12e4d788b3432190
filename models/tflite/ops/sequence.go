package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// addSequence registers this family's kernels.
func addSequence(r *Resolver) {
	r.Builtin[OpLstm] = &Kernel{MaxVersion: 4, Prepare: lstmPrepare, Eval: lstmEval}
	r.Builtin[OpUnidirectionalSequenceLstm] = &Kernel{MaxVersion: 4, Prepare: lstmPrepare, Eval: lstmEval}
	r.Builtin[OpSvdf] = &Kernel{MaxVersion: 4, Prepare: svdfPrepare, Eval: svdfEval}
	r.Builtin[OpRnn] = &Kernel{MaxVersion: 3, Prepare: rnnPrepare, Eval: rnnEval}
	r.Builtin[OpUnidirectionalSequenceRnn] = &Kernel{MaxVersion: 3, Prepare: rnnPrepare, Eval: rnnEval}
	r.Builtin[OpBidirectionalSequenceRnn] = &Kernel{MaxVersion: 3, Prepare: bidiRNNPrepare, Eval: bidiRNNEval}
	r.Builtin[OpBidirectionalSequenceLstm] = &Kernel{MaxVersion: 3, Prepare: biLstmPrepare, Eval: biLstmEval}
}

// Input slots of LSTM and UNIDIRECTIONAL_SEQUENCE_LSTM (the schema's
// lstm::full tensor order). The four gates repeat the same pattern, so the
// per-gate tensors are addressed as slot + gate.
const (
	lstmIn           = 0
	lstmInputWeights = 1  // + gate: input-to-gate weights [n_cell, n_input]
	lstmRecWeights   = 5  // + gate: recurrent weights [n_cell, n_output] or diagonal [n_cell]
	lstmPeephole     = 9  // input, forget, output (no cell gate): cell-to-gate weights [n_cell]
	lstmBias         = 12 // + gate: gate bias [n_cell]
	lstmProjWeights  = 16 // [n_output, n_cell]
	lstmProjBias     = 17 // [n_output]
	lstmOutputState  = 18 // variable [n_batch, n_output]
	lstmCellState    = 19 // variable [n_batch, n_cell]
	lstmLayerNorm    = 20 // + gate: layer-norm coefficients [n_cell]
)

// The gates, in the order of their tensor slots.
const (
	gateInput = iota
	gateForget
	gateCell
	gateOutput
	numGates
)

var gateNames = [numGates]string{"input", "forget", "cell", "output"}

// lstmShape is what Prepare learned about an LSTM node.
type lstmShape struct {
	seq       bool // UNIDIRECTIONAL_SEQUENCE_LSTM
	timeMajor bool
	nTime     int
	nBatch    int
	nInput    int
	nCell     int
	nOutput   int

	act                Activation // activation of the cell gate and the output (float)
	cellClip, projClip float32

	cifg       bool // no input gate: it is 1 - forget gate
	peephole   bool
	layerNorm  bool
	projection bool
	diag       [numGates]bool // recurrent weights are a diagonal [n_cell]
}

// lstmState is the node's kernel state.
type lstmState struct {
	lstmShape
	f  *lstmFloat
	q  *lstmInt
	hy *lstmHybrid
}

func lstmPrepare(c Context, n *Node) error {
	var s lstmState
	if err := lstmCheck(c, n, &s.lstmShape); err != nil {
		return err
	}
	in := c.Input(n, lstmIn)
	out := c.Output(n, 0)
	shape := []int{s.nBatch, s.nOutput}
	if s.seq {
		shape = append(append([]int(nil), in.Shape[:len(in.Shape)-1]...), s.nOutput)
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("output: %v", err)
	}
	var err error
	switch weights := c.Input(n, lstmInputWeights+gateOutput).Type; {
	case in.Type == models.Float32 && weights == models.Float32:
		s.f, err = lstmFloatPrepare(c, n, &s.lstmShape)
	case in.Type == models.Int8 && weights == models.Int8:
		s.q, err = lstmIntPrepare(c, n, &s.lstmShape)
	case in.Type == models.Float32 && (weights == models.Int8 || weights == models.UInt8):
		s.hy, err = lstmHybridPrepare(c, n, &s.lstmShape)
	default:
		return n.Errorf("input is %s and weights are %s; want float32/float32, int8/int8 or float32 with int8/uint8 (hybrid)", in.Type, weights)
	}
	if err != nil {
		return err
	}
	n.State = &s
	return nil
}

func lstmEval(c Context, n *Node) error {
	s, ok := n.State.(*lstmState)
	if !ok {
		return n.Errorf("not prepared")
	}
	switch {
	case s.f != nil:
		return lstmFloatEval(c, n, s)
	case s.hy != nil:
		return lstmHybridEval(c, n, s)
	}
	return lstmIntEval(c, n, s)
}

// lstmCheck validates the inputs, outputs and options of an LSTM node the
// way TFLite's Prepare does, and fills in the sizes.
func lstmCheck(c Context, n *Node, s *lstmShape) error {
	s.seq = n.Op == OpUnidirectionalSequenceLstm
	if len(n.Inputs) != 20 && len(n.Inputs) != 24 {
		return n.Errorf("has %d inputs, want 20 or 24", len(n.Inputs))
	}
	if len(n.Outputs) != 1 || c.Output(n, 0) == nil {
		return n.Errorf("has %d outputs, want 1", len(n.Outputs))
	}
	var act Activation
	switch o := n.Opts.(type) {
	case *LSTMOptions:
		if o.KernelType != 0 {
			return n.Errorf("kernel_type %d (BASIC) is not supported; only the FULL kernel is", o.KernelType)
		}
		act, s.cellClip, s.projClip = o.FusedActivationFunction, o.CellClip, o.ProjClip
	case *UnidirectionalSequenceLSTMOptions:
		act, s.cellClip, s.projClip = o.FusedActivationFunction, o.CellClip, o.ProjClip
		s.timeMajor = o.TimeMajor
	}
	act, err := checkActivation(n, act)
	if err != nil {
		return err
	}
	s.act = act
	if !(s.cellClip >= 0) || math.IsInf(float64(s.cellClip), 0) {
		return n.Errorf("cell_clip %g must be a finite value >= 0", s.cellClip)
	}
	if !(s.projClip >= 0) || math.IsInf(float64(s.projClip), 0) {
		return n.Errorf("proj_clip %g must be a finite value >= 0", s.projClip)
	}

	in := c.Input(n, lstmIn)
	if in == nil {
		return n.Errorf("input tensor is missing")
	}
	if s.seq {
		if in.Dims() != 3 {
			return n.Errorf("input has shape %v; want [batch, time, features] or [time, batch, features]", in.Shape)
		}
		s.nBatch, s.nTime = in.Shape[0], in.Shape[1]
		if s.timeMajor {
			s.nBatch, s.nTime = s.nTime, s.nBatch
		}
		s.nInput = in.Shape[2]
	} else {
		if in.Dims() != 2 {
			return n.Errorf("input has shape %v; want [batch, features]", in.Shape)
		}
		s.nBatch, s.nTime, s.nInput = in.Shape[0], 1, in.Shape[1]
	}

	for g := gateForget; g < numGates; g++ {
		if c.Input(n, lstmInputWeights+g) == nil || c.Input(n, lstmRecWeights+g) == nil {
			return n.Errorf("%s gate weights are missing", gateNames[g])
		}
	}
	iw := c.Input(n, lstmInputWeights+gateOutput)
	if iw.Dims() != 2 || iw.Shape[1] != s.nInput {
		return n.Errorf("input-to-output weights have shape %v, want [cells, %d]", iw.Shape, s.nInput)
	}
	s.nCell = iw.Shape[0]
	rw := c.Input(n, lstmRecWeights+gateOutput)
	switch rw.Dims() {
	case 1:
		s.nOutput = rw.Shape[0]
	case 2:
		s.nOutput = rw.Shape[1]
	default:
		return n.Errorf("recurrent-to-output weights have shape %v, want [%d, outputs] or [%d]", rw.Shape, s.nCell, s.nCell)
	}
	if s.nCell <= 0 || s.nOutput <= 0 || s.nInput <= 0 {
		return n.Errorf("cells (%d), outputs (%d) and input features (%d) must be > 0", s.nCell, s.nOutput, s.nInput)
	}

	s.cifg = c.Input(n, lstmInputWeights+gateInput) == nil
	if s.cifg != (c.Input(n, lstmRecWeights+gateInput) == nil) {
		return n.Errorf("input gate weights must be all present (LSTM) or all absent (CIFG)")
	}
	for g := 0; g < numGates; g++ {
		if g == gateInput && s.cifg {
			continue
		}
		w := c.Input(n, lstmInputWeights+g)
		if !shapeIs(w, s.nCell, s.nInput) {
			return n.Errorf("input-to-%s weights have shape %v, want [%d %d]", gateNames[g], w.Shape, s.nCell, s.nInput)
		}
		if w.Type != iw.Type {
			return n.Errorf("input-to-%s weights are %s, the others %s", gateNames[g], w.Type, iw.Type)
		}
		r := c.Input(n, lstmRecWeights+g)
		switch {
		case shapeIs(r, s.nCell, s.nOutput):
		case s.seq && shapeIs(r, s.nCell) && s.nOutput == s.nCell:
			s.diag[g] = true
		default:
			return n.Errorf("recurrent-to-%s weights have shape %v, want [%d %d]", gateNames[g], r.Shape, s.nCell, s.nOutput)
		}
		if r.Type != iw.Type {
			return n.Errorf("recurrent-to-%s weights are %s, the input weights %s", gateNames[g], r.Type, iw.Type)
		}
	}

	peep := 0
	for g := 0; g < numGates; g++ {
		if g == gateCell {
			continue
		}
		if p := c.Input(n, peepholeSlot(g)); p != nil {
			peep++
			if !shapeIs(p, s.nCell) {
				return n.Errorf("cell-to-%s weights have shape %v, want [%d]", gateNames[g], p.Shape, s.nCell)
			}
		}
	}
	s.peephole = peep > 0
	want := 3
	if s.cifg {
		want = 2
	}
	if s.peephole && peep != want {
		return n.Errorf("peephole (cell-to-gate) weights must be all present or all absent")
	}
	if s.peephole && s.cifg && c.Input(n, lstmPeephole+gateInput) != nil {
		return n.Errorf("CIFG LSTM has cell-to-input weights")
	}

	if s.cifg && c.Input(n, lstmBias+gateInput) != nil {
		return n.Errorf("CIFG LSTM has an input gate bias")
	}
	for g := 0; g < numGates; g++ {
		if g == gateInput && s.cifg {
			continue
		}
		b := c.Input(n, lstmBias+g)
		if b == nil || !shapeIs(b, s.nCell) {
			return n.Errorf("%s gate bias is missing or not of shape [%d]", gateNames[g], s.nCell)
		}
	}

	pw, pb := c.Input(n, lstmProjWeights), c.Input(n, lstmProjBias)
	s.projection = pw != nil
	if pw != nil && !shapeIs(pw, s.nOutput, s.nCell) {
		return n.Errorf("projection weights have shape %v, want [%d %d]", pw.Shape, s.nOutput, s.nCell)
	}
	if pb != nil && (pw == nil || !shapeIs(pb, s.nOutput)) {
		return n.Errorf("projection bias needs projection weights and shape [%d]", s.nOutput)
	}
	if !s.projection && s.nOutput != s.nCell {
		return n.Errorf("without projection the output size (%d) must equal the cell count (%d)", s.nOutput, s.nCell)
	}

	if len(n.Inputs) == 24 && c.Input(n, lstmLayerNorm+gateForget) != nil {
		s.layerNorm = true
		for g := 0; g < numGates; g++ {
			ln := c.Input(n, lstmLayerNorm+g)
			if g == gateInput && s.cifg {
				if ln != nil {
					return n.Errorf("CIFG LSTM has input layer-norm coefficients")
				}
				continue
			}
			if ln == nil || !shapeIs(ln, s.nCell) {
				return n.Errorf("%s layer-norm coefficients are missing or not of shape [%d]", gateNames[g], s.nCell)
			}
		}
	}

	os, cs := c.Input(n, lstmOutputState), c.Input(n, lstmCellState)
	if os == nil || cs == nil || !os.Variable || !cs.Variable {
		return n.Errorf("output state and cell state must be variable tensors")
	}
	if p, ok := mulChecked(s.nBatch, s.nOutput); !ok || os.NumElements() != p {
		return n.Errorf("output state has shape %v, want %d x %d elements", os.Shape, s.nBatch, s.nOutput)
	}
	if p, ok := mulChecked(s.nBatch, s.nCell); !ok || cs.NumElements() != p {
		return n.Errorf("cell state has shape %v, want %d x %d elements", cs.Shape, s.nBatch, s.nCell)
	}
	if _, ok := mulChecked(s.nBatch, s.nTime, max(s.nInput, s.nOutput, s.nCell), 8); !ok {
		return n.Errorf("input shape %v is too large", in.Shape)
	}
	return nil
}

// peepholeSlot is the input slot of a gate's cell-to-gate weights; the
// cell gate has none.
func peepholeSlot(g int) int {
	if g == gateOutput {
		return lstmPeephole + 2
	}
	return lstmPeephole + g
}

// shapeIs reports whether t has exactly the given shape.
func shapeIs(t *Tensor, dims ...int) bool {
	if t == nil || len(t.Shape) != len(dims) {
		return false
	}
	for i, d := range dims {
		if t.Shape[i] != d {
			return false
		}
	}
	return true
}

// lstmSteps calls step for every time step: the offsets (in elements) of
// the step's input rows, output rows and state rows, and how many batch
// rows the step covers. Time-major input runs all batches per step;
// batch-major input runs each batch's sequence on its own.
func lstmSteps(s *lstmShape, step func(in, out, batch, rows int) error) error {
	if s.timeMajor || s.nBatch == 1 {
		for t := 0; t < s.nTime; t++ {
			if err := step(t*s.nBatch*s.nInput, t*s.nBatch*s.nOutput, 0, s.nBatch); err != nil {
				return err
			}
		}
		return nil
	}
	for b := 0; b < s.nBatch; b++ {
		for t := 0; t < s.nTime; t++ {
			k := b*s.nTime + t
			if err := step(k*s.nInput, k*s.nOutput, b, 1); err != nil {
				return err
			}
		}
	}
	return nil
}
