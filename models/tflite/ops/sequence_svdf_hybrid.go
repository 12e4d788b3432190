package ops

import "github.com/axle-edge/axle/models"

// Hybrid SVDF: float input, state, bias and output with 8-bit feature and
// time weights, as TFLite's EvalHybridSVDF. The time weights are
// dequantized to float once (w*scale in float32); each step quantizes every
// input row to int8 (symmetrically, or asymmetrically with
// asymmetric_quantize_inputs and the feature weights' row sums correcting
// for the zero point), writes the dequantized feature projection into the
// state (zero when the whole input is zero) and then runs the float time
// weighting.

type svdfHybridState struct {
	wfScale  float32
	wtF      []float32 // dequantized time weights
	rowSum   []int32   // feature weight row sums (asymmetric)
	qIn      []int8
	scale    []float32
	zp       []int32
	prepared bool // wtF and rowSum computed (once, as TFLite does)
}

func svdfHybridPrepare(c Context, n *Node, s *svdfKernel, wf, wt, bias, state, out *Tensor) error {
	if wt.Type != models.Int8 && wt.Type != models.UInt8 {
		return n.Errorf("hybrid SVDF needs int8 or uint8 time weights, has %s", wt.Type)
	}
	for _, t := range []*Tensor{bias, state, out} {
		if t != nil && t.Type != models.Float32 {
			return n.Errorf("tensor %q is %s; a hybrid SVDF needs float32 bias, state and output", t.Name, t.Type)
		}
	}
	var sc [2]float32
	for i, t := range []*Tensor{wf, wt} {
		if t.Quant == nil || len(t.Quant.Scale) != 1 {
			return n.Errorf("weights %q (%s) need exactly one quantization scale for a hybrid SVDF", t.Name, t.Type)
		}
		v, _, err := tensorScale(n, "SVDF weights", t)
		if err != nil {
			return err
		}
		sc[i] = float32(v)
	}
	s.hybrid, s.asym = true, n.Opts.(*SVDFOptions).AsymmetricQuantizeInputs
	h := &s.hy
	*h = svdfHybridState{wfScale: sc[0]}
	wtLen, _ := mulChecked(s.filters, s.memory)
	inLen, ok := mulChecked(s.batch, s.input)
	if !ok {
		return n.Errorf("input of %d x %d is too large", s.batch, s.input)
	}
	if err := allocAll(c, slot(&h.wtF, wtLen), slot(&h.rowSum, s.filters), slot(&h.qIn, inLen),
		slot(&h.scale, s.batch), slot(&h.zp, s.batch)); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func svdfHybrid(s *svdfKernel, x []float32, wfT, wtT *Tensor, bias, state, out []float32) {
	h := &s.hy
	nf, mem, k := s.filters, s.memory, s.input
	// TFLite reads 8-bit weights as int8 whatever their type.
	wf := view[int8](wfT.Data)[:nf*k]
	if !h.prepared {
		wtScale := wtT.Quant.Scale[0]
		for i, w := range view[int8](wtT.Data)[:len(h.wtF)] {
			h.wtF[i] = float32(w) * wtScale
		}
		rowSums(h.rowSum, wf, nf, k)
		h.prepared = true
	}
	copy(state, state[1:])
	scratch := view[float32](s.scratch)[:s.batch*nf]
	clear(scratch)
	if x = x[:s.batch*k]; !isZeroF32(x) {
		for b := 0; b < s.batch; b++ {
			v, q := x[b*k:(b+1)*k], h.qIn[b*k:(b+1)*k]
			if s.asym {
				h.scale[b], h.zp[b] = asymmetricQuantize(v, q)
			} else {
				h.scale[b], h.zp[b] = symmetricQuantize(v, q), 0
			}
			h.scale[b] *= h.wfScale
		}
		for b := 0; b < s.batch; b++ {
			q := h.qIn[b*k : (b+1)*k]
			for f := 0; f < nf; f++ {
				var dot int32
				for i, w := range wf[f*k : (f+1)*k] {
					dot += int32(w) * int32(q[i])
				}
				if s.asym {
					dot -= h.rowSum[f] * h.zp[b]
				}
				scratch[b*nf+f] += float32(dot) * h.scale[b]
			}
		}
	}
	for i, v := range scratch {
		state[i*mem+mem-1] = v
	}
	svdfApplyTime(s, h.wtF, bias, state, out)
}
