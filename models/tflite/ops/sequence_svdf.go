package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// SVDF: a rank-decomposed filter over time. Each step shifts the state (a
// [batch, filters, memory] window) left by one, writes the feature
// projection W_f·x of the new input into the last memory slot, then
//
//	out[b, u] = act(bias[u] + Σ_rank Σ_memory W_t[f, m] · state[b, f, m])  f = u·rank + r
//
// Float follows TFLite's reference EvalFloatSVDF. Integer follows
// EvalIntegerSVDF (int8 input, int16 time weights and state); int8 time
// weights and state, which only TFLite Micro runs, follow its generic
// version with the state's zero point. TFLite's integer kernel requires a
// RELU activation but applies none beyond the int8 clamp, and so does this.

const (
	svdfIn = iota
	svdfFeatureWeights
	svdfTimeWeights
	svdfBias
	svdfStateIn
)

type svdfKernel struct {
	rank, batch, input, filters, units, memory int
	act                                        Activation
	scratch                                    []byte // batch*filters accumulators

	// hybrid (sequence_svdf_hybrid.go)
	hybrid, asym bool
	hy           svdfHybridState

	// integer
	scale1A, scale2A     int32
	scale1B, scale2B     int
	inZP, stateZP, outZP int32
	stateMin, stateMax   int32
}

func svdfPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 5 || len(n.Outputs) != 1 {
		return n.Errorf("has %d inputs and %d outputs, want 5 and 1", len(n.Inputs), len(n.Outputs))
	}
	in, wf, wt := c.Input(n, svdfIn), c.Input(n, svdfFeatureWeights), c.Input(n, svdfTimeWeights)
	bias, state, out := c.Input(n, svdfBias), c.Input(n, svdfStateIn), c.Output(n, 0)
	if in == nil || wf == nil || wt == nil || state == nil || out == nil {
		return n.Errorf("input, feature weights, time weights, state and output are required")
	}
	o := n.Opts.(*SVDFOptions)
	s := &svdfKernel{rank: int(o.Rank)}
	act, err := checkActivation(n, o.FusedActivationFunction)
	if err != nil {
		return err
	}
	s.act = act
	if in.Dims() != 2 || wf.Dims() != 2 || wt.Dims() != 2 {
		return n.Errorf("input %v, feature weights %v and time weights %v must be 2-D", in.Shape, wf.Shape, wt.Shape)
	}
	s.batch, s.input = in.Shape[0], in.Shape[1]
	s.filters, s.memory = wf.Shape[0], wt.Shape[1]
	if s.rank <= 0 || s.filters%s.rank != 0 {
		return n.Errorf("rank %d must be > 0 and divide the %d filters", s.rank, s.filters)
	}
	s.units = s.filters / s.rank
	if wf.Shape[1] != s.input || wt.Shape[0] != s.filters {
		return n.Errorf("feature weights %v and time weights %v do not fit input %v", wf.Shape, wt.Shape, in.Shape)
	}
	if s.memory <= 0 {
		return n.Errorf("memory size %d must be > 0", s.memory)
	}
	if bias != nil && !shapeIs(bias, s.units) {
		return n.Errorf("bias has shape %v, want [%d]", bias.Shape, s.units)
	}
	window, ok := mulChecked(s.memory, s.filters)
	if !ok || !shapeIs(state, s.batch, window) || !state.Variable {
		return n.Errorf("state must be a variable tensor of shape [%d %d], has %v", s.batch, window, state.Shape)
	}
	scratch, ok := mulChecked(s.batch, s.filters, 4)
	if !ok {
		return n.Errorf("input %v is too large", in.Shape)
	}
	if err := c.Resize(out, []int{s.batch, s.units}); err != nil {
		return n.Errorf("output: %v", err)
	}
	if s.scratch, err = c.Alloc(scratch); err != nil {
		return n.Errorf("scratch: %v", err)
	}

	switch {
	case in.Type == models.Float32 && wf.Type == models.Float32:
		for _, t := range []*Tensor{wt, bias, state, out} {
			if t != nil && t.Type != models.Float32 {
				return n.Errorf("tensor %q is %s; a float SVDF needs float32 everywhere", t.Name, t.Type)
			}
		}
	case in.Type == models.Int8 && wf.Type == models.Int8:
		if err := svdfIntPrepare(n, s, in, wf, wt, bias, state, out); err != nil {
			return err
		}
	case in.Type == models.Float32 && (wf.Type == models.Int8 || wf.Type == models.UInt8):
		if err := svdfHybridPrepare(c, n, s, wf, wt, bias, state, out); err != nil {
			return err
		}
	default:
		return n.Errorf("input is %s and feature weights %s; want float32/float32 or int8/int8", in.Type, wf.Type)
	}
	n.State = s
	return nil
}

func svdfIntPrepare(n *Node, s *svdfKernel, in, wf, wt, bias, state, out *Tensor) error {
	if s.act != ActRelu {
		return n.Errorf("integer SVDF needs a RELU activation, has %d", s.act)
	}
	if wt.Type != state.Type || (wt.Type != models.Int16 && wt.Type != models.Int8) {
		return n.Errorf("time weights (%s) and state (%s) must both be int16 or both int8", wt.Type, state.Type)
	}
	if bias != nil && bias.Type != models.Int32 {
		return n.Errorf("bias is %s, want int32", bias.Type)
	}
	if out.Type != models.Int8 {
		return n.Errorf("output is %s, want int8", out.Type)
	}
	var sc [5]float32
	for i, t := range []*Tensor{in, wf, wt, state, out} {
		v, _, err := tensorScale(n, "SVDF", t)
		if err != nil {
			return err
		}
		sc[i] = float32(v)
	}
	s.scale1A, s.scale1B = QuantizeMultiplier(float64(sc[0] * sc[1] / sc[3]))
	s.scale2A, s.scale2B = QuantizeMultiplier(float64(sc[3] * sc[2] / sc[4]))
	s.inZP, s.stateZP, s.outZP = in.ZeroPoint(), state.ZeroPoint(), out.ZeroPoint()
	s.stateMin, s.stateMax = TypeRange(state.Type)
	return nil
}

func svdfEval(c Context, n *Node) error {
	s, ok := n.State.(*svdfKernel)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, wf, wt := c.Input(n, svdfIn), c.Input(n, svdfFeatureWeights), c.Input(n, svdfTimeWeights)
	bias, state, out := c.Input(n, svdfBias), c.Input(n, svdfStateIn), c.Output(n, 0)
	switch {
	case in.Type == models.Float32:
		var b []float32
		if bias != nil {
			b = bias.F32()
		}
		if s.hybrid {
			svdfHybrid(s, in.F32(), wf, wt, b, state.F32(), out.F32())
		} else {
			svdfFloat(s, in.F32(), wf.F32(), wt.F32(), b, state.F32(), out.F32())
		}
	case state.Type == models.Int16:
		svdfInt(s, in.I8(), wf.I8(), wt.I16(), svdfBiasI32(bias), state.I16(), out.I8())
	default:
		svdfInt(s, in.I8(), wf.I8(), wt.I8(), svdfBiasI32(bias), state.I8(), out.I8())
	}
	return nil
}

func svdfBiasI32(t *Tensor) []int32 {
	if t == nil {
		return nil
	}
	return t.I32()
}

func svdfFloat(s *svdfKernel, x, wf, wt, bias, state, out []float32) {
	nf, mem := s.filters, s.memory
	copy(state, state[1:])
	for b := 0; b < s.batch; b++ {
		xv := x[b*s.input : (b+1)*s.input]
		for f := 0; f < nf; f++ {
			state[(b*nf+f)*mem+mem-1] = dotF32(wf[f*s.input:(f+1)*s.input], xv)
		}
	}
	svdfApplyTime(s, wt, bias, state, out)
}

// svdfApplyTime weights the float state over time, sums over the rank,
// adds the bias and applies the activation (TFLite's
// ApplyTimeWeightsBiasAndActivation).
func svdfApplyTime(s *svdfKernel, wt, bias, state, out []float32) {
	nf, mem := s.filters, s.memory
	scratch := view[float32](s.scratch)
	for b := 0; b < s.batch; b++ {
		for f := 0; f < nf; f++ {
			k := b*nf + f
			scratch[k] = dotF32(wt[f*mem:(f+1)*mem], state[k*mem:(k+1)*mem])
		}
	}
	for b := 0; b < s.batch; b++ {
		for u := 0; u < s.units; u++ {
			var sum float32
			for _, v := range scratch[(b*s.units+u)*s.rank : (b*s.units+u+1)*s.rank] {
				sum += v
			}
			if bias != nil {
				sum += bias[u]
			}
			out[b*s.units+u] = floatActivation(s.act, sum)
		}
	}
}

func svdfInt[T int8 | int16](s *svdfKernel, x, wf []int8, wt []T, bias []int32, state []T, out []int8) {
	nf, mem := s.filters, s.memory
	copy(state, state[1:])
	for b := 0; b < s.batch; b++ {
		xv := x[b*s.input : (b+1)*s.input]
		for f := 0; f < nf; f++ {
			var acc int32
			for i, w := range wf[f*s.input : (f+1)*s.input] {
				acc += int32(w) * (int32(xv[i]) - s.inZP)
			}
			v := MultiplyByQuantizedMultiplier(acc, s.scale1A, s.scale1B)
			v = min(max(v, s.stateMin), s.stateMax)
			state[(b*nf+f)*mem+mem-1] = T(s.stateZP + v)
		}
	}
	scratch := view[int32](s.scratch)
	for b := 0; b < s.batch; b++ {
		for f := 0; f < nf; f++ {
			k := b*nf + f
			var acc int32
			sv := state[k*mem : (k+1)*mem]
			for m, w := range wt[f*mem : (f+1)*mem] {
				acc += int32(w) * (int32(sv[m]) - s.stateZP)
			}
			scratch[k] = acc
		}
	}
	for b := 0; b < s.batch; b++ {
		for u := 0; u < s.units; u++ {
			var sum int32
			for _, v := range scratch[(b*s.units+u)*s.rank : (b*s.units+u+1)*s.rank] {
				sum += v
			}
			if bias != nil {
				sum += bias[u]
			}
			v := MultiplyByQuantizedMultiplier(sum, s.scale2A, s.scale2B) + s.outZP
			out[b*s.units+u] = int8(min(max(v, math.MinInt8), math.MaxInt8))
		}
	}
}
