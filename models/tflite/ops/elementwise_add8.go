package ops

import "math"

// ewAdd8 is the fast form of quantized 8-bit ADD/SUB when both inputs have
// the output's shape (the residual adds of ResNets). The first half of
// TFLite's reference arithmetic, (offset + x) << 20 scaled by the input
// multiplier, depends on one 8-bit code only, so Prepare tabulates it for
// all 256 codes of each input (SUB stores the second input negated: the
// negation wraps in int32 exactly as the vector kernels' VPSIGND does);
// the portable Eval adds two table entries and requantizes once. The vector
// kernels (elementwise_add8_amd64.s and _arm64.s) compute the same terms
// arithmetically in SIMD lanes instead of gathering from the tables.
// Results equal ewQParams.addSub bit for bit (TestAdd8FastMatchesReference).
type ewAdd8 struct {
	t1, t2 [256]int32 // scaled input terms indexed by the code's byte value
	vec    add8Consts // broadcast constants of the vector kernels
	path   gemmPath   // pathGo when the vector kernels do not apply
	signed bool
}

// add8Consts holds every per-node constant of the vector kernels as a
// 256-bit broadcast (or a shift count in the low quadword of 128 bits), so
// the assembly reads them as memory operands and keeps its registers for
// data. The layout is fixed: the assembly addresses the fields by offset
// (TestAdd8ConstsLayout).
type add8Consts struct {
	off1, off2     [8]int32 // input offsets
	m1, m2         [8]int32 // input multipliers
	mask1, mask2   [8]int32 // 1<<e - 1 of the input rounding shifts
	thr1, thr2     [8]int32 // mask >> 1
	sgn            [8]int32 // +1 for ADD, -1 for SUB
	mo, masko, tho [8]int32 // output multiplier, rounding mask and threshold
	zp, lo, hi     [8]int32 // output offset and clamp
	nudge          [4]int64 // 1<<30, the doubling high multiply's rounding
	l1, l2, lo_    [2]uint64
	e1, e2, eo     [2]uint64
	neg            [8]int32 // 0 for ADD, -1 for SUB (negation as (t^neg)-neg)
}

// ewAdd8Usable reports whether the fast form applies: same-shape inputs and
// an output multiplier whose doubling high multiply cannot saturate
// (QuantizeMultiplier never yields MinInt32).
func ewAdd8Usable(q *ewQParams, na, nb, nout int) bool {
	return na == nout && nb == nout && q.outMult != math.MinInt32 && q.leftShift <= 20
}

// build fills the tables for signed (int8) or unsigned codes and picks the
// vector kernels of bestPath when the parameters fit them.
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
	a.signed = signed
	a.setPath(q, sub, bestPath())
}

// setPath fills the vector constants for path p, or falls back to pathGo
// when the lanes cannot reproduce the reference: a multiplier of MinInt32
// (the one saturating doubling high multiply) or a rounding shift of 32
// bits or more (the int32 lanes round those differently from fxRDPOT).
func (a *ewAdd8) setPath(q *ewQParams, sub bool, p gemmPath) {
	a.path = pathGo
	e1, e2, eo := max(-q.in1Shift, 0), max(-q.in2Shift, 0), max(-q.outShift, 0)
	if p == pathGo || q.in1Mult == math.MinInt32 || q.in2Mult == math.MinInt32 ||
		q.outMult == math.MinInt32 || e1 > 31 || e2 > 31 || eo > 31 || q.leftShift < 0 {
		return
	}
	v := &a.vec
	fill := func(d *[8]int32, x int32) {
		for i := range d {
			d[i] = x
		}
	}
	mask := func(e int) int32 { return int32(uint32(1)<<uint(e) - 1) }
	fill(&v.off1, q.in1Off)
	fill(&v.off2, q.in2Off)
	fill(&v.m1, q.in1Mult)
	fill(&v.m2, q.in2Mult)
	fill(&v.mask1, mask(e1))
	fill(&v.mask2, mask(e2))
	fill(&v.thr1, mask(e1)>>1)
	fill(&v.thr2, mask(e2)>>1)
	fill(&v.sgn, 1)
	fill(&v.neg, 0)
	if sub {
		fill(&v.sgn, -1)
		fill(&v.neg, -1)
	}
	fill(&v.mo, q.outMult)
	fill(&v.masko, mask(eo))
	fill(&v.tho, mask(eo)>>1)
	fill(&v.zp, q.outOff)
	fill(&v.lo, q.actLo)
	fill(&v.hi, q.actHi)
	v.nudge = [4]int64{1 << 30, 1 << 30, 1 << 30, 1 << 30}
	// Counts of 32 and more shift everything out, as Go's wrapping
	// multiplies by 1<<left do.
	left := func(s int) uint64 { return uint64(q.leftShift + min(max(s, 0), 31)) }
	v.l1, v.l2, v.lo_ = [2]uint64{left(q.in1Shift)}, [2]uint64{left(q.in2Shift)}, [2]uint64{uint64(min(max(q.outShift, 0), 31))}
	v.e1, v.e2, v.eo = [2]uint64{uint64(e1)}, [2]uint64{uint64(e2)}, [2]uint64{uint64(eo)}
	a.path = p
}

// ewAdd8Rows computes o[i] = requantize(t1[x[i]] + t2[y[i]]) over
// equal-length slices of int8 or uint8 codes: the vector kernel of a.path
// takes what it can, the portable loop the rest.
func ewAdd8Rows[T int8 | uint8](a *ewAdd8, q *ewQParams, x, y, o []T) {
	x, y = x[:len(o)], y[:len(o)]
	done := add8Vec(a, x, y, o)
	ewAdd8Go(a, q, x[done:], y[done:], o[done:])
}

// ewAdd8Go is the portable loop: TFLite's MultiplyByQuantizedMultiplier
// (left shift, SaturatingRoundingDoublingHighMul, RoundingDivideByPOT)
// inlined in branch-free form, then the output offset and clamp.
func ewAdd8Go[T int8 | uint8](a *ewAdd8, q *ewQParams, x, y, o []T) {
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
		// m != MinInt32, so the doubling high multiply never saturates,
		// and the reference's sign-dependent nudge followed by a
		// truncating division equals one floor shift for either sign.
		h := (int64(s)*m + 1<<30) >> 31
		// Round half away from zero: the threshold is one higher for
		// negative h; rem > threshold adds the carry.
		r := h>>e + int64(uint64(th0+int64(uint64(h)>>63)-h&mask)>>63)
		o[i] = T(min(max(int32(r)+off, lo), hi))
	}
}
