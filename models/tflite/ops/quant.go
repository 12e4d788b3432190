package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// Fixed-point helpers shared by the integer kernels. They follow TFLite's
// reference integer arithmetic bit for bit: the same multiplier encoding,
// the same rounding (half away from zero in QuantizeMultiplier, rounding
// doubling high multiply, round-half-up-away right shift) and saturation.

// QuantizeMultiplier encodes a real multiplier m as a Q31 fixed-point value
// and a power-of-two exponent: m ≈ q * 2^(shift-31).
func QuantizeMultiplier(m float64) (q int32, shift int) {
	if m == 0 {
		return 0, 0
	}
	frac, exp := math.Frexp(m)
	fixed := int64(math.Round(frac * (1 << 31)))
	if fixed == 1<<31 {
		fixed /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0
	}
	if exp > 30 {
		return math.MaxInt32, 30
	}
	return int32(fixed), exp
}

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2*a*b,
// rounded, saturating the single overflow case.
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT divides by 2^exp rounding half away from zero.
func RoundingDivideByPOT(x int32, exp int) int32 {
	mask := int32(1)<<exp - 1
	rem := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	r := x >> exp
	if rem > threshold {
		r++
	}
	return r
}

// MultiplyByQuantizedMultiplier scales x by the multiplier (q, shift) from
// QuantizeMultiplier, as TFLite's double-rounding reference does.
func MultiplyByQuantizedMultiplier(x, q int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x*(int32(1)<<left), q), right)
}

// MultiplyByQuantizedMultiplier64 scales a 64-bit accumulator (int16x8
// kernels) with a single rounding.
func MultiplyByQuantizedMultiplier64(x int64, q int32, shift int) int32 {
	total := 31 - shift
	round := int64(1) << (total - 1)
	return int32((x*int64(q) + round) >> total)
}

// Activation is the schema's ActivationFunctionType, fused into many ops.
type Activation uint8

const (
	ActNone Activation = iota
	ActRelu
	ActReluN1To1
	ActRelu6
	ActTanh
	ActSignBit
)

// FloatRange is the clamp range of a fused activation on float outputs.
func (a Activation) FloatRange() (lo, hi float32) {
	switch a {
	case ActRelu:
		return 0, math.MaxFloat32
	case ActReluN1To1:
		return -1, 1
	case ActRelu6:
		return 0, 6
	}
	return -math.MaxFloat32, math.MaxFloat32
}

// QuantRange is the clamp range of a fused activation on a quantized output
// with the given scale and zero point, within [qmin, qmax].
func (a Activation) QuantRange(qmin, qmax int32, scale float64, zp int32) (lo, hi int32) {
	q := func(x float64) int32 { return zp + int32(math.Round(x/scale)) }
	lo, hi = qmin, qmax
	switch a {
	case ActRelu:
		lo = max(qmin, q(0))
	case ActRelu6:
		lo, hi = max(qmin, q(0)), min(qmax, q(6))
	case ActReluN1To1:
		lo, hi = max(qmin, q(-1)), min(qmax, q(1))
	}
	return lo, hi
}

// Supported reports whether a fused activation can be applied by the
// clamp-based kernels (TANH and SIGN_BIT cannot).
func (a Activation) Supported() bool { return a <= ActRelu6 }

// TypeRange is the representable range of an integer tensor type.
func TypeRange(t models.DType) (lo, hi int32) {
	switch t {
	case models.Int8:
		return math.MinInt8, math.MaxInt8
	case models.UInt8:
		return 0, math.MaxUint8
	case models.Int16:
		return math.MinInt16, math.MaxInt16
	}
	return math.MinInt32, math.MaxInt32
}
