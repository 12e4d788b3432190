package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Helpers shared by the dense, conv, pool and reduce kernels: validation of
// quantization parameters, TFLite's multiplier derivations, the 64-bit
// requantization TFLite really uses, fused activations and the on-the-fly
// input quantization of hybrid kernels.

// Schema TensorType values read from options (quantized_bias_type,
// output_type).
const (
	schemaFloat32 = 0
	schemaInt32   = 2
	schemaInt64   = 4
)

// Schema Padding values.
const (
	padSame  = 0
	padValid = 1
)

// tensorScale returns the per-tensor scale and zero point of a quantized
// tensor, refusing missing, zero, negative or non-finite scales: every
// quantized kernel divides by them.
func tensorScale(n *Node, what string, t *Tensor) (float64, int32, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return 0, 0, n.Errorf("%s tensor %q (%s) has no quantization parameters", what, t.Name, t.Type)
	}
	s := float64(t.Quant.Scale[0])
	if !(s > 0) || math.IsInf(s, 0) {
		return 0, 0, n.Errorf("%s tensor %q has invalid scale %g", what, t.Name, s)
	}
	return s, t.ZeroPoint(), nil
}

// filterScales returns the per-output-channel scales of a quantized filter
// whose output channels lie along dimension axis: one scale broadcast to all
// channels, or exactly one per channel. Scales may be zero (a channel of all
// zero weights) but not negative or non-finite.
func filterScales(c Context, n *Node, filter *Tensor, axis, channels int) ([]float64, error) {
	q := filter.Quant
	if q == nil || len(q.Scale) == 0 {
		return nil, n.Errorf("filter tensor %q (%s) has no quantization parameters", filter.Name, filter.Type)
	}
	if len(q.Scale) != 1 {
		if len(q.Scale) != channels {
			return nil, n.Errorf("filter tensor %q has %d scales for %d output channels", filter.Name, len(q.Scale), channels)
		}
		if q.Axis != axis {
			return nil, n.Errorf("filter tensor %q is quantized along dimension %d, want %d", filter.Name, q.Axis, axis)
		}
	}
	out, err := allocSlice[float64](c, channels)
	if err != nil {
		return nil, n.Errorf("filter scales: %v", err)
	}
	for i := range out {
		s := float64(q.Scale[0])
		if len(q.Scale) > 1 {
			s = float64(q.Scale[i])
		}
		if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, n.Errorf("filter tensor %q has invalid scale %g for channel %d", filter.Name, s, i)
		}
		out[i] = s
	}
	return out, nil
}

// zeroFilterZeroPoints checks that every zero point of a symmetric
// (int8/int16 path) filter is 0, as TFLite requires.
func zeroFilterZeroPoints(n *Node, filter *Tensor) error {
	if filter.Quant == nil {
		return nil
	}
	for i, z := range filter.Quant.ZeroPoint {
		if z != 0 {
			return n.Errorf("filter tensor %q has zero point %d at %d; symmetric quantization needs 0", filter.Name, z, i)
		}
	}
	return nil
}

// perChannelMultipliers derives one (multiplier, shift) per output channel
// from input_scale * filter_scale / output_scale in double precision, as
// TFLite's PopulateConvolutionQuantizationParams does.
func perChannelMultipliers(c Context, n *Node, inScale, outScale float64, fScales []float64) ([]int32, []int, error) {
	mult, err := allocSlice[int32](c, len(fScales))
	if err != nil {
		return nil, nil, n.Errorf("output multipliers: %v", err)
	}
	shift, err := allocSlice[int](c, len(fScales))
	if err != nil {
		return nil, nil, n.Errorf("output shifts: %v", err)
	}
	for i, fs := range fScales {
		mult[i], shift[i] = QuantizeMultiplier(inScale * fs / outScale)
	}
	return mult, shift, nil
}

// productMultiplier is TFLite's per-tensor GetQuantizedConvolutionMultipler:
// the input and filter scales are multiplied in float32 before the division
// in double precision.
func productMultiplier(inScale, fScale, outScale float64) (int32, int) {
	p := float64(float32(inScale) * float32(fScale))
	return QuantizeMultiplier(p / outScale)
}

// checkActivation checks a fused activation option against the schema enum.
func checkActivation(n *Node, a Activation) (Activation, error) {
	if a > ActSignBit {
		return 0, n.Errorf("fused activation %d is not a valid ActivationFunctionType", a)
	}
	return a, nil
}

// quantActRange is the clamp range of a fused activation on a quantized
// output (TANH and SIGN_BIT clamp nothing, as in TFLite).
func quantActRange(a Activation, out *Tensor, scale float64, zp int32) (int32, int32) {
	lo, hi := TypeRange(out.Type)
	return a.QuantRange(lo, hi, scale, zp)
}

// applyFloatActivation applies any fused activation to a float vector, as
// the hybrid kernels do after dequantizing their accumulators.
func applyFloatActivation(a Activation, v []float32) {
	switch a {
	case ActRelu, ActReluN1To1, ActRelu6:
		lo, hi := a.FloatRange()
		for i, x := range v {
			v[i] = min(max(x, lo), hi)
		}
	case ActTanh:
		for i, x := range v {
			v[i] = float32(math.Tanh(float64(x)))
		}
	case ActSignBit:
		for i, x := range v {
			if math.Signbit(float64(x)) {
				v[i] = 1
			} else {
				v[i] = 0
			}
		}
	}
}

// mulQuant64 scales a 64-bit accumulator the way TFLite's int64 overload of
// MultiplyByQuantizedMultiplier does: the Q31 multiplier is first rounded to
// Q15 and the product is shifted once with rounding. The caller guarantees
// shift < 8 (checked in Prepare with checkShift64).
func mulQuant64(x int64, q int32, shift int) int32 {
	reduced := int64(0x7FFF)
	if q < 0x7FFF0000 {
		reduced = (int64(q) + 1<<15) >> 16
	}
	total := uint(15 - shift)
	return int32((x*reduced + int64(1)<<(total-1)) >> total)
}

// checkShift64 verifies that multipliers used with mulQuant64 are in the
// range TFLite asserts (an effective scale below 128).
func checkShift64(n *Node, shifts []int) error {
	for i, s := range shifts {
		if s >= 8 {
			return n.Errorf("effective output scale of channel %d is too large (2^%d) for a 64-bit accumulator", i, s)
		}
	}
	return nil
}

// symmetricQuantize quantizes v to int8 with scale max|v|/127, as TFLite's
// SymmetricQuantizeFloats, and returns the scale. The vector kernels of
// bestPath give the portable loop's results bit for bit.
func symmetricQuantize(v []float32, q []int8) float32 {
	return symmetricQuantizeOn(bestPath(), v, q)
}

// symmetricQuantizeOn is symmetricQuantize on path p.
func symmetricQuantizeOn(p gemmPath, v []float32, q []int8) float32 {
	if p == pathGo {
		return symmetricQuantizeGo(v, q)
	}
	q = q[:len(v)]
	// max|x| as the largest sign-cleared bit pattern: for non-negative
	// floats the integer order is the float order, and NaNs sort above +Inf.
	bits, n := absMaxBitsVec(p, v)
	for _, x := range v[n:] {
		bits = max(bits, math.Float32bits(x)&0x7fffffff)
	}
	if bits > 0x7f800000 {
		// A NaN: the portable loop defines which NaN comes out.
		return symmetricQuantizeGo(v, q)
	}
	r := math.Float32frombits(bits)
	if r == 0 {
		clear(q)
		return 1
	}
	inv := 127 / r
	n = quantSymVec(p, v, q, inv)
	for i := n; i < len(v); i++ {
		q[i] = quantSym1(v[i], inv)
	}
	return r / 127
}

// symmetricQuantizeGo is the portable symmetricQuantize.
func symmetricQuantizeGo(v []float32, q []int8) float32 {
	var lo, hi float32
	if len(v) > 0 {
		lo, hi = v[0], v[0]
	}
	for _, x := range v {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	r := max(float32(math.Abs(float64(lo))), float32(math.Abs(float64(hi))))
	if r == 0 {
		clear(q[:len(v)])
		return 1
	}
	inv := 127 / r
	for i, x := range v {
		q[i] = quantSym1(x, inv)
	}
	return r / 127
}

// quantSym1 is one element of symmetricQuantize. Out-of-range and NaN
// products convert to whatever int32(float32) gives on this architecture
// (MinInt32 on amd64, saturated on arm64) before the clamp; the vector
// kernels use the same conversion instruction.
func quantSym1(x, inv float32) int8 {
	y := int32(roundF32(x * inv))
	return int8(min(max(y, -127), 127))
}

// asymmetricQuantize quantizes v to int8 over [min(v,0), max(v,0)], as
// TFLite's AsymmetricQuantizeFloats, and returns the scale and zero point.
func asymmetricQuantize(v []float32, q []int8) (float32, int32) {
	return asymmetricQuantizeOn(bestPath(), v, q)
}

// asymmetricQuantizeOn is asymmetricQuantize on path p.
func asymmetricQuantizeOn(p gemmPath, v []float32, q []int8) (float32, int32) {
	if p == pathGo {
		return asymmetricQuantizeGo(v, q)
	}
	q = q[:len(v)]
	// The vector min and max may order -0 and +0 differently from Go's
	// min and max; asymParams gives the same result for either zero.
	lo, hi, n, nan := minMaxVec(p, v)
	for _, x := range v[n:] {
		nan = nan || x != x
		lo, hi = min(lo, x), max(hi, x)
	}
	if nan {
		return asymmetricQuantizeGo(v, q)
	}
	s, zp, ok := asymParams(lo, hi)
	if !ok {
		clear(q)
		return 1, 0
	}
	inv, fzp := 1/s, float32(zp)
	n = quantAsymVec(p, v, q, inv, fzp)
	for i := n; i < len(v); i++ {
		q[i] = quantAsym1(v[i], inv, fzp)
	}
	return s, zp
}

// asymmetricQuantizeGo is the portable asymmetricQuantize.
func asymmetricQuantizeGo(v []float32, q []int8) (float32, int32) {
	var lo, hi float32
	for _, x := range v {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	s, zp, ok := asymParams(lo, hi)
	if !ok {
		clear(q[:len(v)])
		return 1, 0
	}
	inv, fzp := 1/s, float32(zp)
	for i, x := range v {
		q[i] = quantAsym1(x, inv, fzp)
	}
	return s, zp
}

// asymParams is the scale and zero point of the range [lo, hi] (lo <= 0 <=
// hi), or ok false for an empty range.
func asymParams(lo, hi float32) (s float32, zp int32, ok bool) {
	rmin, rmax := float64(lo), float64(hi)
	if rmin == rmax {
		return 0, 0, false
	}
	const qmin, qmax = -128.0, 127.0
	scale := (rmax - rmin) / (qmax - qmin)
	zpFromMin := qmin - rmin/scale
	zpFromMax := qmax - rmax/scale
	zpd := zpFromMax
	if math.Abs(qmin)+math.Abs(rmin/scale) < math.Abs(qmax)+math.Abs(rmax/scale) {
		zpd = zpFromMin
	}
	switch {
	case zpd <= qmin:
		zp = qmin
	case zpd >= qmax:
		zp = qmax
	default:
		zp = int32(math.Round(zpd))
	}
	return float32(scale), zp, true
}

// quantAsym1 is one element of asymmetricQuantize. The compiler fuses
// fzp + x*inv into one FMA on arm64 and with GOAMD64=v3 (not on v1); the
// vector kernels do the same (quantFused on amd64, FMLA on arm64).
func quantAsym1(x, inv, fzp float32) int8 {
	y := int32(roundF32(fzp + x*inv))
	return int8(min(max(y, -128), 127))
}

// roundF32 rounds half away from zero in float32, like std::round on a float.
func roundF32(x float32) float32 { return float32(math.Round(float64(x))) }

// isQuantType reports whether t is one of the quantized activation types.
func isQuantType(t models.DType) bool {
	return t == models.Int8 || t == models.UInt8 || t == models.Int16
}

// mulChecked multiplies non-negative sizes, reporting overflow of int (32
// bits on arm and 386) instead of wrapping.
func mulChecked(a ...int) (int, bool) {
	p := 1
	for _, x := range a {
		if x < 0 {
			return 0, false
		}
		if x != 0 && p > math.MaxInt/x {
			return 0, false
		}
		p *= x
	}
	return p, true
}
