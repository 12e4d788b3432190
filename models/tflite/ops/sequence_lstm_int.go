package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Integer LSTM ("8x8->16"), following TFLite's lstm_eval
// EvalInteger8x8_16: int8 input, weights and output state, int16 cell
// state with a power-of-two scale, int16 gates in Q3.12 (or the
// intermediate scales with layer norm), int32 biases.
//
//	gate  = sat16(M_x(bias' + Σ x·W_x) + M_h(Σ h·W_h) [+ M_c(c·w_c)])  bias' folds the zero points
//	gate  = σ or tanh in gemmlowp fixed point (Q3.12 → Q0.15)
//	c     = sat16(round(f·c >> 15) + round(i·g >> (30 + cell_scale)))
//	h     = sat8(M_hid(o · tanh(c)) + zp_hidden), or projected through W_p
//
// M(...) is MultiplyByQuantizedMultiplier with the effective scales TFLite
// derives in Prepare, in the same float32 arithmetic.

type lstmIntGate struct {
	inBias, recBias []int32 // bias folded with -zero_point · row sums
	inA, recA       int32
	inB, recB       int
	peepA           int32
	peepB           int
	lnA             int32
	lnB             int
	varianceGuard   int32
}

type lstmInt struct {
	gates        [numGates]lstmIntGate
	cellScale    int // log2 of the cell state scale
	cellClip     int16
	projClip     int8
	hidA, projA  int32
	hidB, projB  int
	hidZP, outZP int32
	projBias     []int32
	gate         [numGates][]int16
	tanhC        []int16
	hidQ         []int8
}

func lstmIntPrepare(c Context, n *Node, s *lstmShape) (*lstmInt, error) {
	q := &lstmInt{}
	in, out := c.Input(n, lstmIn), c.Output(n, 0)
	os, cs := c.Input(n, lstmOutputState), c.Input(n, lstmCellState)
	if out.Type != models.Int8 || os.Type != models.Int8 || cs.Type != models.Int16 {
		return nil, n.Errorf("integer LSTM needs an int8 output and output state and an int16 cell state, got %s, %s and %s", out.Type, os.Type, cs.Type)
	}
	for g := 0; g < numGates; g++ {
		if s.diag[g] {
			return nil, n.Errorf("diagonal recurrent weights are only supported in float LSTMs")
		}
	}
	if s.peephole && s.nOutput != s.nCell {
		return nil, n.Errorf("integer peephole LSTM needs as many outputs as cells (TFLite's kernel assumes it), got %d and %d", s.nOutput, s.nCell)
	}
	switch len(n.Intermediates) {
	case 5:
	case 12:
		return nil, n.Errorf("integer LSTM with 8-bit gate outputs (12 intermediates) is not supported")
	default:
		return nil, n.Errorf("integer LSTM needs 5 intermediate tensors, has %d", len(n.Intermediates))
	}

	inScale, inZP, err := tensorScale(n, "input", in)
	if err != nil {
		return nil, err
	}
	osScale, osZP, err := tensorScale(n, "output state", os)
	if err != nil {
		return nil, err
	}
	q.outZP = osZP
	csScale, _, err := tensorScale(n, "cell state", cs)
	if err != nil {
		return nil, err
	}
	cellScale, ok := checkedLog2(float32(csScale))
	if !ok || cellScale < -15 || cellScale > -9 {
		return nil, n.Errorf("cell state scale %g must be a power of two between 2^-15 and 2^-9", csScale)
	}
	q.cellScale = cellScale
	if s.cellClip > 0 {
		q.cellClip = int16(min(max(s.cellClip/float32(csScale), -32768), 32767))
	}
	if s.projClip > 0 {
		outScale, _, err := tensorScale(n, "output", out)
		if err != nil {
			return nil, err
		}
		q.projClip = int8(min(max(s.projClip/float32(outScale), -128), 127))
	}

	// Scales of the gate pre-activations: the intermediates with layer
	// norm, Q3.12 without.
	var inter [5]float32
	for i := range inter {
		if i < 4 && !s.layerNorm {
			inter[i] = 1.0 / 4096
			continue
		}
		t := c.Tensor(n.Intermediates[i])
		if t == nil {
			return nil, n.Errorf("intermediate tensor %d is missing", i)
		}
		sc, zp, err := tensorScale(n, "intermediate", t)
		if err != nil {
			return nil, err
		}
		inter[i] = float32(sc)
		if i == 4 {
			q.hidZP = zp
		}
	}

	weightScale := func(i int, want models.DType) (float32, error) {
		t := c.Input(n, i)
		if t.Type != want {
			return 0, n.Errorf("input %d (%q) is %s, want %s", i, t.Name, t.Type, want)
		}
		if !t.Const {
			return 0, n.Errorf("input %d (%q) must be a constant", i, t.Name)
		}
		if t.Quant != nil && len(t.Quant.Scale) > 1 {
			return 0, n.Errorf("input %d (%q) is quantized per channel; integer LSTM weights are per tensor", i, t.Name)
		}
		sc, _, err := tensorScale(n, "weight", t)
		return float32(sc), err
	}
	rowSums := func(t *Tensor, zp int32, bias *Tensor) ([]int32, error) {
		rows, cols := t.Shape[0], t.Shape[1]
		buf, err := c.Alloc(4 * rows)
		if err != nil {
			return nil, n.Errorf("bias: %v", err)
		}
		out := view[int32](buf)
		if bias != nil {
			copy(out, bias.I32()[:rows])
		}
		if zp != 0 {
			w := t.I8()
			for r := range out {
				var sum int32
				for _, v := range w[r*cols : (r+1)*cols] {
					sum += int32(v)
				}
				out[r] += sum * zp
			}
		}
		return out, nil
	}

	for g := 0; g < numGates; g++ {
		gs := &q.gates[g]
		gs.lnA, gs.lnB = QuantizeMultiplier(1)
		if g == gateInput && s.cifg {
			continue
		}
		ws, err := weightScale(lstmInputWeights+g, models.Int8)
		if err != nil {
			return nil, err
		}
		rs, err := weightScale(lstmRecWeights+g, models.Int8)
		if err != nil {
			return nil, err
		}
		gs.inA, gs.inB = QuantizeMultiplier(float64(ws * float32(inScale) / inter[g]))
		gs.recA, gs.recB = QuantizeMultiplier(float64(rs * float32(osScale) / inter[g]))
		if s.peephole && g != gateCell {
			ps, err := weightScale(peepholeSlot(g), models.Int16)
			if err != nil {
				return nil, err
			}
			gs.peepA, gs.peepB = QuantizeMultiplier(float64(float32(math.Ldexp(1, cellScale) * float64(ps) / float64(inter[g]))))
		}
		bias := c.Input(n, lstmBias+g)
		if bias.Type != models.Int32 || !bias.Const {
			return nil, n.Errorf("%s gate bias is %s, want a constant int32 tensor", gateNames[g], bias.Type)
		}
		if s.layerNorm {
			ls, err := weightScale(lstmLayerNorm+g, models.Int16)
			if err != nil {
				return nil, err
			}
			gs.lnA, gs.lnB = QuantizeMultiplier(float64(ls))
			gs.varianceGuard = max(1, int32(10000*ls))
			bias = nil // added after the normalization
		}
		if gs.inBias, err = rowSums(c.Input(n, lstmInputWeights+g), -inZP, bias); err != nil {
			return nil, err
		}
		if gs.recBias, err = rowSums(c.Input(n, lstmRecWeights+g), -osZP, nil); err != nil {
			return nil, err
		}
	}

	q.hidA, q.hidB = QuantizeMultiplier(float64(float32(math.Ldexp(1, -15) / float64(inter[4]) * math.Ldexp(1, -15))))
	if s.projection {
		ps, err := weightScale(lstmProjWeights, models.Int8)
		if err != nil {
			return nil, err
		}
		q.projA, q.projB = QuantizeMultiplier(float64(ps * inter[4] / float32(osScale)))
		pb := c.Input(n, lstmProjBias)
		if pb != nil && (pb.Type != models.Int32 || !pb.Const) {
			return nil, n.Errorf("projection bias is %s, want a constant int32 tensor", pb.Type)
		}
		if q.projBias, err = rowSums(c.Input(n, lstmProjWeights), q.hidZP, pb); err != nil {
			return nil, err
		}
	}

	rows := s.nBatch * s.nCell
	buf, err := c.Alloc(2*rows*(numGates+1) + rows)
	if err != nil {
		return nil, n.Errorf("scratch: %v", err)
	}
	all := view[int16](buf[:2*rows*(numGates+1)])
	for g := range q.gate {
		q.gate[g] = all[g*rows : (g+1)*rows]
	}
	q.tanhC = all[numGates*rows:]
	q.hidQ = view[int8](buf[2*rows*(numGates+1):])
	return q, nil
}

// checkedLog2 is TFLite's CheckedLog2: the nearest integer log2 of x and
// whether x is within 1e-3 (in log2) of that power of two.
func checkedLog2(x float32) (int, bool) {
	l := float32(math.Log(float64(x))) * float32(1/math.Log(2))
	r := float32(math.Round(float64(l)))
	return int(r), math.Abs(float64(l-r)) < 1e-3
}

type lstmIntTensors struct {
	in, out, h []int8
	c          []int16
	w, r       [numGates][]int8
	peep, ln   [numGates][]int16
	bias       [numGates][]int32
	proj       []int8
}

func lstmIntEval(c Context, n *Node, s *lstmState) error {
	var d lstmIntTensors
	i8 := func(i int) []int8 {
		if t := c.Input(n, i); t != nil {
			return t.I8()
		}
		return nil
	}
	i16 := func(i int) []int16 {
		if t := c.Input(n, i); t != nil {
			return t.I16()
		}
		return nil
	}
	d.in, d.out = i8(lstmIn), c.Output(n, 0).I8()
	d.h, d.c = i8(lstmOutputState), i16(lstmCellState)
	for g := 0; g < numGates; g++ {
		d.w[g], d.r[g] = i8(lstmInputWeights+g), i8(lstmRecWeights+g)
		if g != gateCell {
			d.peep[g] = i16(peepholeSlot(g))
		}
		if s.layerNorm {
			d.ln[g] = i16(lstmLayerNorm + g)
			if t := c.Input(n, lstmBias+g); t != nil {
				d.bias[g] = t.I32()
			}
		}
	}
	d.proj = i8(lstmProjWeights)
	return lstmSteps(&s.lstmShape, func(in, out, b, rows int) error {
		lstmIntStep(s, &d, d.in[in:in+rows*s.nInput], d.out[out:out+rows*s.nOutput],
			d.h[b*s.nOutput:(b+rows)*s.nOutput], d.c[b*s.nCell:(b+rows)*s.nCell], rows)
		return nil
	})
}

func lstmIntStep(s *lstmState, d *lstmIntTensors, x, out, h []int8, cell []int16, rows int) {
	q := s.q
	nc := s.nCell
	for _, g := range [...]int{gateInput, gateForget, gateCell} {
		if g == gateInput && s.cifg {
			continue
		}
		lstmIntGateEval(s, d, g, x, h, cell, q.gate[g][:rows*nc], rows)
	}
	ig, fg, cg := q.gate[gateInput][:rows*nc], q.gate[gateForget][:rows*nc], q.gate[gateCell][:rows*nc]
	cell = cell[:rows*nc]
	shift := 30 + q.cellScale
	for i := range cell {
		v := int32(int16(RoundingDivideByPOT(int32(fg[i])*int32(cell[i]), 15)))
		var in int16
		if s.cifg {
			in = 32767 - fg[i]
		} else {
			in = ig[i]
		}
		v += int32(int16(RoundingDivideByPOT(int32(in)*int32(cg[i]), shift)))
		v = min(max(v, math.MinInt16), math.MaxInt16)
		if q.cellClip > 0 {
			v = min(max(v, -int32(q.cellClip)), int32(q.cellClip))
		}
		cell[i] = int16(v)
	}
	og := q.gate[gateOutput][:rows*nc]
	lstmIntGateEval(s, d, gateOutput, x, h, cell, og, rows)

	t := q.tanhC[:rows*nc]
	bits := 15 + q.cellScale
	for i := range t {
		t[i] = fxTanh(cell[i], bits)
	}
	h = h[:rows*s.nOutput]
	if !s.projection {
		for i := range h {
			v := MultiplyByQuantizedMultiplier(int32(og[i])*int32(t[i]), q.hidA, q.hidB) + q.hidZP
			h[i] = int8(min(max(v, -128), 127))
		}
	} else {
		hq := q.hidQ[:rows*nc]
		for i := range hq {
			// TFLite subtracts the hidden zero point here and adds
			// zp · row sums to the projection bias.
			v := MultiplyByQuantizedMultiplier(int32(og[i])*int32(t[i]), q.hidA, q.hidB) - q.hidZP
			hq[i] = int8(min(max(v, -128), 127))
		}
		no := s.nOutput
		for b := 0; b < rows; b++ {
			hv := hq[b*nc : (b+1)*nc]
			for o := 0; o < no; o++ {
				acc := q.projBias[o] + dotI8(d.proj[o*nc:(o+1)*nc], hv)
				v := MultiplyByQuantizedMultiplier(acc, q.projA, q.projB) + q.outZP
				v = min(max(v, -128), 127)
				if q.projClip > 0 {
					v = min(max(v, -int32(q.projClip)), int32(q.projClip))
				}
				h[b*no+o] = int8(v)
			}
		}
	}
	copy(out, h)
}

func lstmIntGateEval(s *lstmState, d *lstmIntTensors, g int, x, h []int8, cell, dst []int16, rows int) {
	q := s.q
	gs := &q.gates[g]
	nc, ni, no := s.nCell, s.nInput, s.nOutput
	w, r := d.w[g], d.r[g]
	for b := 0; b < rows; b++ {
		xv, hv := x[b*ni:(b+1)*ni], h[b*no:(b+1)*no]
		row := dst[b*nc : (b+1)*nc]
		for k := range row {
			v := MultiplyByQuantizedMultiplier(gs.inBias[k]+dotI8(w[k*ni:(k+1)*ni], xv), gs.inA, gs.inB)
			v = min(max(v, math.MinInt16), math.MaxInt16)
			v += MultiplyByQuantizedMultiplier(gs.recBias[k]+dotI8(r[k*no:(k+1)*no], hv), gs.recA, gs.recB)
			row[k] = int16(min(max(v, math.MinInt16), math.MaxInt16))
		}
		if p := d.peep[g]; p != nil {
			cv := cell[b*nc : (b+1)*nc]
			for k := range row {
				v := MultiplyByQuantizedMultiplier(int32(p[k])*int32(cv[k]), gs.peepA, gs.peepB) + int32(row[k])
				row[k] = int16(min(max(v, math.MinInt16), math.MaxInt16))
			}
		}
		if s.layerNorm {
			lstmLayerNormInt(row, d.ln[g], d.bias[g], gs)
		}
		if g == gateCell {
			for k, v := range row {
				row[k] = fxTanh(v, 3)
			}
		} else {
			for k, v := range row {
				row[k] = fxLogistic(v, 3)
			}
		}
	}
}

// lstmLayerNormInt is TFLite's integer ApplyLayerNorm on one row: mean and
// variance in fixed point with 10 extra fractional bits, an inverse square
// root multiplier, then the coefficient and bias and the layer-norm scale.
func lstmLayerNormInt(row, w []int16, bias []int32, gs *lstmIntGate) {
	n := int64(len(row))
	var sum, sq int64
	for _, v := range row {
		sum += int64(v)
		sq += int64(int32(v) * int32(v))
	}
	mean := int32(sum * 1024 / n)
	temp := int32((1 << 20) / n)
	variance := sq*int64(temp) - int64(mean)*int64(mean)
	v2 := int32(variance / (1 << 20))
	if v2 < 1 {
		v2 = gs.varianceGuard
	}
	invA, invB := fxInvSqrt(v2, -1)
	for j, v := range row {
		shifted := 1024*int32(v) - mean
		rescaled := MultiplyByQuantizedMultiplier(shifted, invA, invB)
		v3 := int64(rescaled*int32(w[j]) + bias[j])
		if v3 > 0 {
			v3 += 512
		} else {
			v3 -= 512
		}
		v5 := MultiplyByQuantizedMultiplier(int32(v3/1024), gs.lnA, gs.lnB+12)
		row[j] = int16(min(max(v5, math.MinInt16), math.MaxInt16))
	}
}

func dotI8(a, b []int8) int32 {
	b = b[:len(a)]
	var s int32
	for i, v := range a {
		s += int32(v) * int32(b[i])
	}
	return s
}
