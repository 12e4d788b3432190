package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Float LSTM, following TFLite's lstm_eval EvalFloat: per step and gate,
//
//	gate = act(bias + W_x·x + W_h·h (+ w_c⊙c))          without layer norm
//	gate = act(ln ⊙ normalize(W_x·x + W_h·h (+ w_c⊙c)) + bias)   with it
//	c    = clip(f⊙c + i⊙g)      (CIFG: i = 1 - f)
//	h    = o ⊙ act(c), then projection and clip when present
//
// The output gate's peephole sees the updated cell state, the input and
// forget gates' the previous one.

// lstmFloat holds the scratch rows of the float kernel.
type lstmFloat struct {
	gates [numGates][]float32 // nBatch*nCell each
	hid   []float32           // nBatch*nCell: o ⊙ act(c) before projection
}

func lstmFloatPrepare(c Context, n *Node, s *lstmShape) (*lstmFloat, error) {
	for i := range n.Inputs {
		if t := c.Input(n, i); t != nil && t.Type != models.Float32 {
			return nil, n.Errorf("input %d (%q) is %s; a float LSTM needs float32 everywhere", i, t.Name, t.Type)
		}
	}
	if out := c.Output(n, 0); out.Type != models.Float32 {
		return nil, n.Errorf("output is %s, want float32", out.Type)
	}
	rows := s.nBatch * s.nCell
	buf, err := c.Alloc(4 * rows * (numGates + 1))
	if err != nil {
		return nil, n.Errorf("scratch: %v", err)
	}
	all := view[float32](buf)
	f := &lstmFloat{}
	for g := range f.gates {
		f.gates[g] = all[g*rows : (g+1)*rows]
	}
	f.hid = all[numGates*rows:]
	return f, nil
}

// lstmFloatTensors are the data of one Eval.
type lstmFloatTensors struct {
	in, out          []float32
	w, r, peep, bias [numGates][]float32
	ln               [numGates][]float32
	proj, projBias   []float32
	h, c             []float32
}

func lstmFloatEval(c Context, n *Node, s *lstmState) error {
	var d lstmFloatTensors
	get := func(i int) []float32 {
		if t := c.Input(n, i); t != nil {
			return t.F32()
		}
		return nil
	}
	d.in, d.out = get(lstmIn), c.Output(n, 0).F32()
	for g := 0; g < numGates; g++ {
		d.w[g], d.r[g], d.bias[g] = get(lstmInputWeights+g), get(lstmRecWeights+g), get(lstmBias+g)
		if g != gateCell {
			d.peep[g] = get(peepholeSlot(g))
		}
		if s.layerNorm {
			d.ln[g] = get(lstmLayerNorm + g)
		}
	}
	d.proj, d.projBias = get(lstmProjWeights), get(lstmProjBias)
	d.h, d.c = get(lstmOutputState), get(lstmCellState)
	return lstmSteps(&s.lstmShape, func(in, out, b, rows int) error {
		lstmFloatStep(s, &d, d.in[in:in+rows*s.nInput], d.out[out:out+rows*s.nOutput],
			d.h[b*s.nOutput:(b+rows)*s.nOutput], d.c[b*s.nCell:(b+rows)*s.nCell], rows)
		return nil
	})
}

// lstmFloatStep advances rows batch rows by one time step.
func lstmFloatStep(s *lstmState, d *lstmFloatTensors, x, out, h, cell []float32, rows int) {
	f := s.f
	nc := s.nCell
	for _, g := range [...]int{gateInput, gateForget, gateCell} {
		if g == gateInput && s.cifg {
			continue
		}
		lstmFloatGate(s, d, g, x, h, cell, f.gates[g][:rows*nc], rows)
	}
	ig, fg, cg := f.gates[gateInput][:rows*nc], f.gates[gateForget][:rows*nc], f.gates[gateCell][:rows*nc]
	cell = cell[:rows*nc]
	for i := range cell {
		in := float32(0)
		if s.cifg {
			in = 1 - fg[i]
		} else {
			in = ig[i]
		}
		v := fg[i]*cell[i] + in*cg[i]
		if s.cellClip > 0 {
			v = min(max(v, -s.cellClip), s.cellClip)
		}
		cell[i] = v
	}
	og := f.gates[gateOutput][:rows*nc]
	lstmFloatGate(s, d, gateOutput, x, h, cell, og, rows)

	hid := f.hid[:rows*nc]
	for i := range hid {
		hid[i] = og[i] * floatActivation(s.act, cell[i])
	}
	h = h[:rows*s.nOutput]
	if s.projection {
		no := s.nOutput
		for b := 0; b < rows; b++ {
			hv := hid[b*nc : (b+1)*nc]
			for o := 0; o < no; o++ {
				acc := float32(0)
				if d.projBias != nil {
					acc = d.projBias[o]
				}
				acc += dotF32(d.proj[o*nc:(o+1)*nc], hv)
				if s.projClip > 0 {
					acc = min(max(acc, -s.projClip), s.projClip)
				}
				h[b*no+o] = acc
			}
		}
	} else {
		copy(h, hid)
	}
	copy(out, h)
}

// lstmFloatGate computes one gate for rows batch rows into dst.
func lstmFloatGate(s *lstmState, d *lstmFloatTensors, g int, x, h, cell, dst []float32, rows int) {
	nc, ni, no := s.nCell, s.nInput, s.nOutput
	w, r, bias, peep, ln := d.w[g], d.r[g], d.bias[g], d.peep[g], d.ln[g]
	for b := 0; b < rows; b++ {
		xv, hv := x[b*ni:(b+1)*ni], h[b*no:(b+1)*no]
		row := dst[b*nc : (b+1)*nc]
		for k := range row {
			acc := float32(0)
			if ln == nil {
				acc = bias[k]
			}
			acc += dotF32(w[k*ni:(k+1)*ni], xv)
			if s.diag[g] {
				acc += r[k] * hv[k]
			} else {
				acc += dotF32(r[k*no:(k+1)*no], hv)
			}
			if peep != nil {
				acc += peep[k] * cell[b*nc+k]
			}
			row[k] = acc
		}
		if ln != nil {
			meanStddevNormalize(row)
			for k := range row {
				row[k] = row[k]*ln[k] + bias[k]
			}
		}
		if g == gateCell {
			for k := range row {
				row[k] = floatActivation(s.act, row[k])
			}
		} else {
			for k := range row {
				row[k] = sigmoid32(row[k])
			}
		}
	}
}

func dotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// meanStddevNormalize scales v to zero mean and unit variance, with
// TFLite's 1e-8 guard against a zero variance.
func meanStddevNormalize(v []float32) {
	var sum float32
	for _, x := range v {
		sum += x
	}
	mean := sum / float32(len(v))
	var sq float32
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	inv := 1 / float32(math.Sqrt(float64(sq/float32(len(v))+1e-8)))
	for i, x := range v {
		v[i] = (x - mean) * inv
	}
}

func sigmoid32(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// floatActivation applies the LSTM's activation option. NONE is the
// identity here; TFLite's gate code leaves the gate unwritten for NONE,
// which no converter emits.
func floatActivation(a Activation, x float32) float32 {
	switch a {
	case ActRelu:
		return max(x, 0)
	case ActReluN1To1:
		return min(max(x, -1), 1)
	case ActRelu6:
		return min(max(x, 0), 6)
	case ActTanh:
		return float32(math.Tanh(float64(x)))
	case ActSignBit:
		if math.Signbit(float64(x)) {
			return 1
		}
		return 0
	}
	return x
}
