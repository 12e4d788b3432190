package ops

import "github.com/axle-edge/axle/models"

// RNN and UNIDIRECTIONAL_SEQUENCE_RNN: a fully connected recurrent cell,
//
//	h = act(bias + W·x + R·h)      output = h
//
// run for one step (RNN) or for every step of a sequence. The arithmetic
// follows TFLite's RnnBatchStep: the output starts as the bias, the input
// and recurrent products are added to it in that order, the activation is
// applied and the result copied into the hidden state. Hybrid models (int8
// or uint8 weights with float activations) quantize the input rows and the
// hidden state rows to int8 at run time, per row, symmetrically or (with
// asymmetric_quantize_inputs) asymmetrically with the weights' row sums
// correcting for the zero point; a batch of all-zero values skips its
// product, as in TFLite.

const (
	rnnIn = iota
	rnnWeights
	rnnRecWeights
	rnnBias
	rnnHidden
)

// rnnMat is one weight matrix of a recurrent cell ([units, cols]) with what
// the hybrid path needs: its per-tensor scale and row sums.
type rnnMat struct {
	cols   int
	scale  float32
	rowSum []int32
	f      []float32 // bound for one Eval: float weights
	q      []int8    // or 8-bit weights read as int8
}

// rnnDir is one direction of a recurrent layer: its weights, bias and the
// quantized copy of its hidden state.
type rnnDir struct {
	units        int
	w, rec, aux  rnnMat // aux.cols is 0 without auxiliary input weights
	qHid         []int8
	sumsDone     bool
	bias, hidden []float32 // bound for one Eval
	outF         []float32
	outStride    int
}

// rnnShared is what the directions of a layer share: options and the
// per-step quantization scratch.
type rnnShared struct {
	act          Activation
	hybrid, asym bool
	qIn, qAux    []int8    // hybrid: one step's input and aux rows
	scale        []float32 // hybrid: per row
	zp           []int32   // hybrid: per row
}

// rnnCell is the per-node state of RNN and UNIDIRECTIONAL_SEQUENCE_RNN.
type rnnCell struct {
	rnnShared
	dir            rnnDir
	input          int
	batch, steps   int
	timeMajor, seq bool
}

func rnnPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 5 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 5 and 1", len(n.Inputs), len(n.Outputs))
	}
	in, w, rec := c.Input(n, rnnIn), c.Input(n, rnnWeights), c.Input(n, rnnRecWeights)
	bias, hidden, out := c.Input(n, rnnBias), c.Input(n, rnnHidden), c.Output(n, 0)
	if in == nil || w == nil || rec == nil || bias == nil || hidden == nil || out == nil {
		return n.Errorf("input, weights, recurrent weights, bias, hidden state and output are required")
	}
	s := &rnnCell{seq: n.Op == OpUnidirectionalSequenceRnn}
	var act Activation
	switch o := n.Opts.(type) {
	case *RNNOptions:
		act, s.asym = o.FusedActivationFunction, o.AsymmetricQuantizeInputs
	case *SequenceRNNOptions:
		act, s.asym, s.timeMajor = o.FusedActivationFunction, o.AsymmetricQuantizeInputs, o.TimeMajor
	}
	act, err := checkActivation(n, act)
	if err != nil {
		return err
	}
	s.act = act
	if s.seq {
		if s.steps, s.batch, s.input, err = rnnSeqShape(n, in, s.timeMajor); err != nil {
			return err
		}
	} else {
		if in.Dims() != 2 {
			return n.Errorf("input must be 2-D [batch, input], has shape %v", in.Shape)
		}
		s.steps, s.batch, s.input = 1, in.Shape[0], in.Shape[1]
	}
	if err := s.dir.check(n, "", w, rec, bias, hidden, s.batch, s.input); err != nil {
		return err
	}
	if err := s.prepareTypes(c, n, in, w, rec, bias, hidden, out); err != nil {
		return err
	}
	shape := []int{s.batch, s.dir.units}
	if s.seq {
		shape = rnnSeqOut(s.steps, s.batch, s.dir.units, s.timeMajor)
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("output: %v", err)
	}
	n.State = s
	return nil
}

// rnnSeqShape reads time steps, batch and input size of a 3-D sequence.
func rnnSeqShape(n *Node, in *Tensor, timeMajor bool) (steps, batch, input int, err error) {
	if in.Dims() != 3 {
		return 0, 0, 0, n.Errorf("input must be 3-D [time, batch, input] or [batch, time, input], has shape %v", in.Shape)
	}
	steps, batch, input = in.Shape[0], in.Shape[1], in.Shape[2]
	if !timeMajor {
		steps, batch = batch, steps
	}
	if steps < 0 || batch < 0 || input < 0 {
		return 0, 0, 0, n.Errorf("input shape %v has a negative dimension", in.Shape)
	}
	if _, ok := mulChecked(steps, batch, input); !ok {
		return 0, 0, 0, n.Errorf("input shape %v is too large", in.Shape)
	}
	return steps, batch, input, nil
}

// rnnSeqOut is the shape of a sequence output with units per row.
func rnnSeqOut(steps, batch, units int, timeMajor bool) []int {
	if timeMajor {
		return []int{steps, batch, units}
	}
	return []int{batch, steps, units}
}

// check validates one direction's weights, bias and hidden state (what
// names the direction in errors) and sets its sizes.
func (d *rnnDir) check(n *Node, what string, w, rec, bias, hidden *Tensor, batch, input int) error {
	if w == nil || rec == nil || bias == nil || hidden == nil {
		return n.Errorf("%sweights, recurrent weights, bias and hidden state are required", what)
	}
	if w.Dims() != 2 || rec.Dims() != 2 {
		return n.Errorf("%sweights %v and recurrent weights %v must be 2-D", what, w.Shape, rec.Shape)
	}
	d.units = w.Shape[0]
	if d.units <= 0 || batch < 0 || input < 0 {
		return n.Errorf("%sweights %v need a positive number of units", what, w.Shape)
	}
	if w.Shape[1] != input {
		return n.Errorf("%sweights %v do not fit the input size %d", what, w.Shape, input)
	}
	if !shapeIs(rec, d.units, d.units) {
		return n.Errorf("%srecurrent weights have shape %v, want [%d %d]", what, rec.Shape, d.units, d.units)
	}
	if !shapeIs(bias, d.units) {
		return n.Errorf("%sbias has shape %v, want [%d]", what, bias.Shape, d.units)
	}
	if !shapeIs(hidden, batch, d.units) || !hidden.Variable {
		return n.Errorf("%shidden state must be a variable tensor of shape [%d %d], has %v", what, batch, d.units, hidden.Shape)
	}
	if _, ok := mulChecked(d.units, max(input, d.units)); !ok {
		return n.Errorf("%sweights %v are too large", what, w.Shape)
	}
	if _, ok := mulChecked(batch, d.units); !ok {
		return n.Errorf("%shidden state of %d x %d is too large", what, batch, d.units)
	}
	d.w.cols, d.rec.cols = input, d.units
	return nil
}

func (s *rnnCell) prepareTypes(c Context, n *Node, in, w, rec, bias, hidden, out *Tensor) error {
	for _, t := range []*Tensor{in, bias, hidden, out} {
		if t.Type != models.Float32 {
			return n.Errorf("tensor %q is %s; input, bias, hidden state and output must be float32", t.Name, t.Type)
		}
	}
	hybrid, err := rnnWeightKind(n, w, rec)
	if err != nil || !hybrid {
		return err
	}
	s.hybrid = true
	if err := s.dir.prepareHybrid(c, n, "", w, rec, nil, s.batch); err != nil {
		return err
	}
	rows := s.batch
	if s.seq && !s.timeMajor {
		rows = min(s.batch, 1) // batch-major sequences run one row per step
	}
	return s.allocSteps(c, n, rows, s.input, 0)
}

// rnnWeightKind checks that the weights are float32 or, for a hybrid cell,
// both 8-bit, and reports which.
func rnnWeightKind(n *Node, w, rec *Tensor) (bool, error) {
	if w.Type != rec.Type {
		return false, n.Errorf("weights (%s) and recurrent weights (%s) must have the same type", w.Type, rec.Type)
	}
	switch w.Type {
	case models.Float32:
		return false, nil
	case models.Int8, models.UInt8:
		return true, nil
	}
	return false, n.Errorf("weights of type %s are not supported (float32, or int8/uint8 for hybrid)", w.Type)
}

// prepareHybrid reads the scales of a hybrid direction's weights and
// allocates its row sums and quantized hidden state.
func (d *rnnDir) prepareHybrid(c Context, n *Node, what string, w, rec, aux *Tensor, batch int) error {
	var err error
	if err = rnnHybridMat(c, n, what+"weights", w, d.units, &d.w); err != nil {
		return err
	}
	if err = rnnHybridMat(c, n, what+"recurrent weights", rec, d.units, &d.rec); err != nil {
		return err
	}
	if aux != nil {
		if err = rnnHybridMat(c, n, what+"aux weights", aux, d.units, &d.aux); err != nil {
			return err
		}
	}
	d.sumsDone = false
	if d.qHid, err = allocSlice[int8](c, batch*d.units); err != nil {
		return n.Errorf("%shidden state scratch: %v", what, err)
	}
	return nil
}

// allocSteps allocates the shared quantization scratch for rows rows.
func (s *rnnShared) allocSteps(c Context, n *Node, rows, input, auxInput int) error {
	if err := allocAll(c, slot(&s.qIn, rows*input), slot(&s.qAux, rows*auxInput),
		slot(&s.scale, rows), slot(&s.zp, rows)); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// rnnHybridMat checks one 8-bit weight matrix of a hybrid cell. TFLite
// scales it with one per-tensor scale; per-channel scales, which it would
// silently ignore, are refused.
func rnnHybridMat(c Context, n *Node, what string, t *Tensor, rows int, m *rnnMat) error {
	if t.Type != models.Int8 && t.Type != models.UInt8 {
		return n.Errorf("%s %q are %s; a hybrid cell needs int8 or uint8 weights", what, t.Name, t.Type)
	}
	if t.Quant == nil || len(t.Quant.Scale) != 1 {
		return n.Errorf("%s %q (%s) need exactly one quantization scale for a hybrid cell", what, t.Name, t.Type)
	}
	s, _, err := tensorScale(n, what, t)
	if err != nil {
		return err
	}
	m.scale = float32(s)
	if m.rowSum, err = allocSlice[int32](c, rows); err != nil {
		return n.Errorf("%s row sums: %v", what, err)
	}
	return nil
}

// bind points the direction at this Eval's tensors and computes the
// hybrid row sums on the first run (once, as TFLite does).
func (d *rnnDir) bind(sh *rnnShared, w, rec, aux, bias, hidden *Tensor) {
	d.bias, d.hidden = bias.F32(), hidden.F32()
	for _, m := range []struct {
		m *rnnMat
		t *Tensor
	}{{&d.w, w}, {&d.rec, rec}, {&d.aux, aux}} {
		m.m.f, m.m.q = nil, nil
		switch {
		case m.t == nil:
		case sh.hybrid:
			// TFLite reads 8-bit hybrid weights as int8 whatever their type.
			m.m.q = view[int8](m.t.Data)
			if sh.asym && !d.sumsDone {
				rowSums(m.m.rowSum, m.m.q, d.units, m.m.cols)
			}
		default:
			m.m.f = m.t.F32()
		}
	}
	if sh.hybrid && sh.asym {
		d.sumsDone = true
	}
}

// unbind drops the references to this Eval's tensors.
func (d *rnnDir) unbind() {
	d.bias, d.hidden, d.outF = nil, nil, nil
	d.w.f, d.w.q, d.rec.f, d.rec.q, d.aux.f, d.aux.q = nil, nil, nil, nil, nil, nil
}

// checkData verifies the data sizes of one direction's tensors.
func (d *rnnDir) checkData(n *Node, w, rec, aux, bias, hidden *Tensor, batch int) error {
	checks := []struct {
		what  string
		t     *Tensor
		elems int
	}{{"weights", w, d.units * d.w.cols}, {"recurrent weights", rec, d.units * d.units},
		{"bias", bias, d.units}, {"hidden state", hidden, batch * d.units}}
	for _, chk := range checks {
		if err := checkData(n, chk.what, chk.t, chk.elems); err != nil {
			return err
		}
	}
	if aux != nil {
		return checkData(n, "aux weights", aux, d.units*d.aux.cols)
	}
	return nil
}

func rnnEval(c Context, n *Node) error {
	s, ok := n.State.(*rnnCell)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, w, rec := c.Input(n, rnnIn), c.Input(n, rnnWeights), c.Input(n, rnnRecWeights)
	bias, hidden, out := c.Input(n, rnnBias), c.Input(n, rnnHidden), c.Output(n, 0)
	d := &s.dir
	rows := s.batch * s.steps
	if err := d.checkData(n, w, rec, nil, bias, hidden, s.batch); err != nil {
		return err
	}
	if err := checkData(n, "input", in, rows*s.input); err != nil {
		return err
	}
	if err := checkData(n, "output", out, rows*d.units); err != nil {
		return err
	}
	d.bind(&s.rnnShared, w, rec, nil, bias, hidden)
	d.outF, d.outStride = out.F32(), d.units
	x := in.F32()
	u, k := d.units, s.input
	if !s.seq || s.timeMajor {
		for t := 0; t < s.steps; t++ {
			o := t * s.batch
			s.step(d, x[o*k:(o+s.batch)*k], nil, d.hidden, d.outF[o*u:], s.batch)
		}
	} else {
		for b := 0; b < s.batch; b++ {
			h := d.hidden[b*u : (b+1)*u]
			for t := 0; t < s.steps; t++ {
				o := b*s.steps + t
				s.step(d, x[o*k:(o+1)*k], nil, h, d.outF[o*u:], 1)
			}
		}
	}
	d.unbind()
	return nil
}

// step is TFLite's RnnBatchStep for rows batch rows of direction d: x
// [rows, input], aux [rows, aux input] or nil, h [rows, units] (read, then
// overwritten with the new state), out rows d.outStride apart.
func (sh *rnnShared) step(d *rnnDir, x, aux, h, out []float32, rows int) {
	u, st := d.units, d.outStride
	for b := 0; b < rows; b++ {
		copy(out[b*st:b*st+u], d.bias)
	}
	useAux := aux != nil && d.aux.cols > 0
	if sh.hybrid {
		sh.hybridAcc(x, &d.w, sh.qIn, out, u, st, rows)
		if useAux {
			sh.hybridAcc(aux, &d.aux, sh.qAux, out, u, st, rows)
		}
		sh.hybridAcc(h, &d.rec, d.qHid, out, u, st, rows)
	} else {
		floatAcc(x, &d.w, out, u, st, rows)
		if useAux {
			floatAcc(aux, &d.aux, out, u, st, rows)
		}
		floatAcc(h, &d.rec, out, u, st, rows)
	}
	for b := 0; b < rows; b++ {
		ob := out[b*st : b*st+u]
		for i, v := range ob {
			ob[i] = floatActivation(sh.act, v)
		}
		copy(h[b*u:(b+1)*u], ob)
	}
}

// floatAcc adds m·v to every row of out, each dot product summed on its own
// and then added, as TFLite's float MatrixBatchVectorMultiplyAccumulate.
func floatAcc(v []float32, m *rnnMat, out []float32, units, stride, rows int) {
	cols := m.cols
	for b := 0; b < rows; b++ {
		vb, ob := v[b*cols:(b+1)*cols], out[b*stride:b*stride+units]
		for o := range ob {
			ob[o] += dotF32(vb, m.f[o*cols:(o+1)*cols])
		}
	}
}

// hybridAcc quantizes rows of v into q (one scale and zero point per row)
// and adds the dequantized int8 products with m to out. Nothing is added
// when all rows are zero.
func (sh *rnnShared) hybridAcc(v []float32, m *rnnMat, q []int8, out []float32, units, stride, rows int) {
	cols := m.cols
	v = v[:rows*cols]
	if isZeroF32(v) {
		return
	}
	for b := 0; b < rows; b++ {
		vb, qb := v[b*cols:(b+1)*cols], q[b*cols:(b+1)*cols]
		if sh.asym {
			sh.scale[b], sh.zp[b] = asymmetricQuantize(vb, qb)
		} else {
			sh.scale[b], sh.zp[b] = symmetricQuantize(vb, qb), 0
		}
		sh.scale[b] *= m.scale
	}
	for b := 0; b < rows; b++ {
		qb, ob := q[b*cols:(b+1)*cols], out[b*stride:b*stride+units]
		sf, zp := sh.scale[b], sh.zp[b]
		for o := range ob {
			var dot int32
			for i, wv := range m.q[o*cols : (o+1)*cols] {
				dot += int32(wv) * int32(qb[i])
			}
			if sh.asym {
				dot -= m.rowSum[o] * zp
			}
			ob[o] += float32(dot) * sf
		}
	}
}

// isZeroF32 reports whether every element of v is zero (TFLite's
// IsZeroVector).
func isZeroF32(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
