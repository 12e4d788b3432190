package ops

import "math"

// ewAdd8 is the fast form of quantized 8-bit ADD/SUB when both inputs have
// the output's shape (the residual adds of ResNets). The first half of
// TFLite's reference arithmetic, (offset + x) << 20 scaled by the input
// multiplier, depends on one 8-bit code only, so Prepare tabulates it for
// all 256 codes of each input (SUB stores the second input negated: the
// terms stay below 2^28 in magnitude, so negation is exact); Eval adds two
// table entries and requantizes once. Results equal ewQParams.addSub bit for
// bit (TestAdd8FastMatchesReference).
type ewAdd8 struct {
	t1, t2 [256]int32 // scaled input terms indexed by the code's byte value
}

// ewAdd8Usable reports whether the fast form applies: same-shape inputs and
// an output multiplier whose doubling high multiply cannot saturate
// (QuantizeMultiplier never yields MinInt32).
func ewAdd8Usable(q *ewQParams, na, nb, nout int) bool {
	return na == nout && nb == nout && q.outMult != math.MinInt32 && q.leftShift <= 20
}

// build fills the tables for signed (int8) or unsigned codes.
func (a *ewAdd8) build(q *ewQParams, signed, sub bool) {
	for b := range 256 {
		x := int32(b)
		if signed {
			x = int32(int8(uint8(b)))
		}
		a.t1[b] = fxMulQ((q.in1Off+x)*(int32(1)<<q.leftShift), q.in1Mult, q.in1Shift)
		a.t2[b] = fxMulQ((q.in2Off+x)*(int32(1)<<q.leftShift), q.in2Mult, q.in2Shift)
		if sub {
			a.t2[b] = -a.t2[b]
		}
	}
}

// ewAdd8Rows computes o[i] = requantize(t1[x[i]] + t2[y[i]]) over
// equal-length slices of int8 or uint8 codes: TFLite's
// MultiplyByQuantizedMultiplier (left shift, SaturatingRoundingDoublingHighMul,
// RoundingDivideByPOT) inlined, then the output offset and clamp.
func ewAdd8Rows[T int8 | uint8](a *ewAdd8, q *ewQParams, x, y, o []T) {
	x, y = x[:len(o)], y[:len(o)]
	m, off, lo, hi := int64(q.outMult), q.outOff, q.actLo, q.actHi
	left := uint(min(max(q.outShift, 0), 31))
	// fxRDPOT's range: exact for right shifts beyond 31 bits too.
	e := uint(min(max(-q.outShift, 0), 62))
	mask := int64(1)<<e - 1
	th0 := mask >> 1
	for i := range o {
		// The int32 left shift wraps as the reference's multiply does.
		s := (a.t1[uint8(x[i])] + a.t2[uint8(y[i])]) << left
		// m != MinInt32, so the doubling high multiply never saturates.
		ab := int64(s) * m
		nudge := int64(1 << 30)
		if ab < 0 {
			nudge = 1 - (1 << 30)
		}
		h := int64(int32((ab + nudge) / (1 << 31)))
		th := th0
		if h < 0 {
			th++
		}
		r := h >> e
		if h&mask > th {
			r++
		}
		o[i] = T(min(max(int32(r)+off, lo), hi))
	}
}
