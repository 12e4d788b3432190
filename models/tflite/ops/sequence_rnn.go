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
}

// rnnCell is the per-node state of a recurrent cell.
type rnnCell struct {
	units, input    int
	batch, steps    int
	timeMajor, seq  bool
	act             Activation
	hybrid, asym    bool
	sumsDone        bool
	w, rec          rnnMat
	qIn, qHid       []int8    // hybrid: one quantized step (batch rows)
	scale           []float32 // hybrid: per row
	zp              []int32   // hybrid: per row
	wF, rF, biasF   []float32 // bound for one Eval
	wQ, rQ          []int8
	hidden, x, outF []float32
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
	actSlot, asymSlot := 0, 1
	if s.seq {
		s.timeMajor = n.Options.Bool(0, false)
		actSlot, asymSlot = 1, 2
	}
	act, err := readActivation(n, actSlot)
	if err != nil {
		return err
	}
	s.act, s.asym = act, n.Options.Bool(asymSlot, false)
	if s.seq {
		if in.Dims() != 3 {
			return n.Errorf("input must be 3-D [time, batch, input] or [batch, time, input], has shape %v", in.Shape)
		}
		s.steps, s.batch, s.input = in.Shape[0], in.Shape[1], in.Shape[2]
		if !s.timeMajor {
			s.steps, s.batch = s.batch, s.steps
		}
	} else {
		if in.Dims() != 2 {
			return n.Errorf("input must be 2-D [batch, input], has shape %v", in.Shape)
		}
		s.steps, s.batch, s.input = 1, in.Shape[0], in.Shape[1]
	}
	if w.Dims() != 2 || rec.Dims() != 2 {
		return n.Errorf("weights %v and recurrent weights %v must be 2-D", w.Shape, rec.Shape)
	}
	s.units = w.Shape[0]
	if s.units <= 0 || s.input < 0 || s.batch < 0 || s.steps < 0 {
		return n.Errorf("input %v and weights %v need positive units and non-negative sizes", in.Shape, w.Shape)
	}
	if w.Shape[1] != s.input {
		return n.Errorf("weights %v do not fit input %v (input size %d)", w.Shape, in.Shape, s.input)
	}
	if !shapeIs(rec, s.units, s.units) {
		return n.Errorf("recurrent weights have shape %v, want [%d %d]", rec.Shape, s.units, s.units)
	}
	if !shapeIs(bias, s.units) {
		return n.Errorf("bias has shape %v, want [%d]", bias.Shape, s.units)
	}
	if !shapeIs(hidden, s.batch, s.units) || !hidden.Variable {
		return n.Errorf("hidden state must be a variable tensor of shape [%d %d], has %v", s.batch, s.units, hidden.Shape)
	}
	if _, ok := mulChecked(s.batch, s.steps, max(s.input, s.units)); !ok {
		return n.Errorf("input %v is too large", in.Shape)
	}
	if _, ok := mulChecked(s.units, max(s.input, s.units)); !ok {
		return n.Errorf("weights %v are too large", w.Shape)
	}
	if err := s.prepareTypes(c, n, in, w, rec, bias, hidden, out); err != nil {
		return err
	}
	shape := []int{s.batch, s.units}
	if s.seq {
		shape = []int{s.batch, s.steps, s.units}
		if s.timeMajor {
			shape = []int{s.steps, s.batch, s.units}
		}
	}
	if err := c.Resize(out, shape); err != nil {
		return n.Errorf("output: %v", err)
	}
	n.State = s
	return nil
}

func (s *rnnCell) prepareTypes(c Context, n *Node, in, w, rec, bias, hidden, out *Tensor) error {
	for _, t := range []*Tensor{in, bias, hidden, out} {
		if t.Type != models.Float32 {
			return n.Errorf("tensor %q is %s; input, bias, hidden state and output must be float32", t.Name, t.Type)
		}
	}
	if w.Type != rec.Type {
		return n.Errorf("weights (%s) and recurrent weights (%s) must have the same type", w.Type, rec.Type)
	}
	switch w.Type {
	case models.Float32:
		return nil
	case models.Int8, models.UInt8:
	default:
		return n.Errorf("weights of type %s are not supported (float32, or int8/uint8 for hybrid)", w.Type)
	}
	s.hybrid = true
	var err error
	if s.w, err = rnnHybridMat(c, n, "weights", w, s.units, s.input); err != nil {
		return err
	}
	if s.rec, err = rnnHybridMat(c, n, "recurrent weights", rec, s.units, s.units); err != nil {
		return err
	}
	s.sumsDone = false
	rows := s.batch
	if s.seq && !s.timeMajor {
		rows = min(s.batch, 1) // batch-major sequences run one row per step
	}
	return allocAll(c, slot(&s.qIn, rows*s.input), slot(&s.qHid, rows*s.units),
		slot(&s.scale, rows), slot(&s.zp, rows))
}

// rnnHybridMat checks one 8-bit weight matrix of a hybrid cell. TFLite
// scales it with one per-tensor scale; per-channel scales, which it would
// silently ignore, are refused.
func rnnHybridMat(c Context, n *Node, what string, t *Tensor, rows, cols int) (rnnMat, error) {
	m := rnnMat{cols: cols}
	if t.Quant == nil || len(t.Quant.Scale) != 1 {
		return m, n.Errorf("%s %q (%s) need exactly one quantization scale for a hybrid cell", what, t.Name, t.Type)
	}
	s, _, err := tensorScale(n, what, t)
	if err != nil {
		return m, err
	}
	m.scale = float32(s)
	if m.rowSum, err = allocSlice[int32](c, rows); err != nil {
		return m, n.Errorf("%s row sums: %v", what, err)
	}
	return m, nil
}

func rnnEval(c Context, n *Node) error {
	s, ok := n.State.(*rnnCell)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, w, rec := c.Input(n, rnnIn), c.Input(n, rnnWeights), c.Input(n, rnnRecWeights)
	bias, hidden, out := c.Input(n, rnnBias), c.Input(n, rnnHidden), c.Output(n, 0)
	rows := s.batch * s.steps
	for _, chk := range []struct {
		what  string
		t     *Tensor
		elems int
	}{{"input", in, rows * s.input}, {"weights", w, s.units * s.input}, {"recurrent weights", rec, s.units * s.units},
		{"bias", bias, s.units}, {"hidden state", hidden, s.batch * s.units}, {"output", out, rows * s.units}} {
		if err := checkData(n, chk.what, chk.t, chk.elems); err != nil {
			return err
		}
	}
	s.x, s.hidden, s.outF, s.biasF = in.F32(), hidden.F32(), out.F32(), bias.F32()
	if s.hybrid {
		// TFLite reads 8-bit hybrid weights as int8 whatever their type.
		s.wQ, s.rQ = view[int8](w.Data), view[int8](rec.Data)
		if s.asym && !s.sumsDone {
			// Computed once, on the first run, as TFLite does.
			rowSums(s.w.rowSum, s.wQ, s.units, s.input)
			rowSums(s.rec.rowSum, s.rQ, s.units, s.units)
			s.sumsDone = true
		}
	} else {
		s.wF, s.rF = w.F32(), rec.F32()
	}
	u, k := s.units, s.input
	if !s.seq || s.timeMajor {
		for t := 0; t < s.steps; t++ {
			o := t * s.batch
			s.step(s.x[o*k:(o+s.batch)*k], s.hidden, s.outF[o*u:(o+s.batch)*u], s.batch)
		}
	} else {
		for b := 0; b < s.batch; b++ {
			h := s.hidden[b*u : (b+1)*u]
			for t := 0; t < s.steps; t++ {
				o := b*s.steps + t
				s.step(s.x[o*k:(o+1)*k], h, s.outF[o*u:(o+1)*u], 1)
			}
		}
	}
	s.x, s.hidden, s.outF, s.biasF, s.wF, s.rF, s.wQ, s.rQ = nil, nil, nil, nil, nil, nil, nil, nil
	return nil
}

// step is RnnBatchStep for rows batch rows: x [rows, input], h [rows,
// units] (read, then overwritten with the new state), out [rows, units].
func (s *rnnCell) step(x, h, out []float32, rows int) {
	u := s.units
	for b := 0; b < rows; b++ {
		copy(out[b*u:(b+1)*u], s.biasF)
	}
	if s.hybrid {
		s.hybridAcc(x, s.wQ, &s.w, s.qIn, out, rows)
		s.hybridAcc(h, s.rQ, &s.rec, s.qHid, out, rows)
	} else {
		floatAcc(x, s.wF, s.input, out, u, rows)
		floatAcc(h, s.rF, u, out, u, rows)
	}
	for i, v := range out[:rows*u] {
		out[i] = floatActivation(s.act, v)
	}
	copy(h[:rows*u], out)
}

// floatAcc adds W·v to every row of out, each dot product summed on its own
// and then added, as TFLite's float MatrixBatchVectorMultiplyAccumulate.
func floatAcc(v, w []float32, cols int, out []float32, units, rows int) {
	for b := 0; b < rows; b++ {
		vb, ob := v[b*cols:(b+1)*cols], out[b*units:(b+1)*units]
		for o := range ob {
			ob[o] += dotF32(vb, w[o*cols:(o+1)*cols])
		}
	}
}

// hybridAcc quantizes rows of v into q (one scale and zero point per row)
// and adds the dequantized int8 products with m to out. Nothing is added
// when all rows are zero.
func (s *rnnCell) hybridAcc(v []float32, w []int8, m *rnnMat, q []int8, out []float32, rows int) {
	cols, u := m.cols, s.units
	v = v[:rows*cols]
	if isZeroF32(v) {
		return
	}
	for b := 0; b < rows; b++ {
		vb, qb := v[b*cols:(b+1)*cols], q[b*cols:(b+1)*cols]
		if s.asym {
			s.scale[b], s.zp[b] = asymmetricQuantize(vb, qb)
		} else {
			s.scale[b], s.zp[b] = symmetricQuantize(vb, qb), 0
		}
		s.scale[b] *= m.scale
	}
	for b := 0; b < rows; b++ {
		qb, ob := q[b*cols:(b+1)*cols], out[b*u:(b+1)*u]
		sf, zp := s.scale[b], s.zp[b]
		for o := range ob {
			var dot int32
			for i, wv := range w[o*cols : (o+1)*cols] {
				dot += int32(wv) * int32(qb[i])
			}
			if s.asym {
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
