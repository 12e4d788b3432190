package ops

import (
	"math"
	"math/bits"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// Fixed-point and lookup-table helpers of the elementwise, activation and
// quantize kernels. They reproduce gemmlowp's fixedpoint arithmetic and
// TFLite's LUT construction bit for bit, because TFLite's integer kernels
// (int16 LOGISTIC/TANH, quantized DIV, RSQRT, L2_NORMALIZATION, int16
// SOFTMAX, ...) are defined by them.
//
// A fixed-point value is a raw int16 or int32 plus a number of integer bits
// m known to the caller: real = raw / 2^(bits-1-m). Multiplying two values
// adds their integer bits; fxMulPOT moves between formats.

// fxRaw is the raw storage of a gemmlowp fixed-point value.
type fxRaw interface{ ~int16 | ~int32 }

func fxBits[T fxRaw]() int {
	var z T
	return int(unsafe.Sizeof(z)) * 8
}

// fxSat clamps v to T's range.
func fxSat[T fxRaw](v int64) T {
	b := fxBits[T]()
	lo, hi := -int64(1)<<(b-1), int64(1)<<(b-1)-1
	if v < lo {
		return T(lo)
	}
	if v > hi {
		return T(hi)
	}
	return T(v)
}

// fxMax is the largest raw value, which is also the fixed-point 1 of a
// format without integer bits.
func fxMax[T fxRaw]() T { return T(int64(1)<<(fxBits[T]()-1) - 1) }

// fxSRDHM is gemmlowp's SaturatingRoundingDoublingHighMul: the product of
// two [-1, 1) values rounded to nearest, saturating -1 * -1.
func fxSRDHM[T fxRaw](a, b T) T {
	n := fxBits[T]()
	if a == b && int64(a) == -int64(1)<<(n-1) {
		return fxMax[T]()
	}
	ab := int64(a) * int64(b)
	nudge := int64(1) << (n - 2)
	if ab < 0 {
		nudge = 1 - nudge
	}
	return T((ab + nudge) / (int64(1) << (n - 1)))
}

// fxRDPOT divides by 2^e rounding to nearest, ties away from zero. Unlike
// the shared RoundingDivideByPOT it is exact for any e >= 0.
func fxRDPOT[T fxRaw](x T, e int) T {
	if e <= 0 {
		return x
	}
	if e > 62 {
		e = 62
	}
	v := int64(x)
	mask := int64(1)<<e - 1
	rem := v & mask
	threshold := mask >> 1
	if v < 0 {
		threshold++
	}
	r := v >> e
	if rem > threshold {
		r++
	}
	return T(r)
}

// fxMulPOT multiplies by 2^e: a saturating left shift for e > 0, a rounding
// right shift for e < 0 (gemmlowp's SaturatingRoundingMultiplyByPOT).
func fxMulPOT[T fxRaw](x T, e int) T {
	switch {
	case e > 0:
		if e >= fxBits[T]() {
			e = fxBits[T]() - 1
		}
		return fxSat[T](int64(x) << e)
	case e < 0:
		return fxRDPOT(x, -e)
	}
	return x
}

// fxHalfSum is (a+b)/2 rounded half away from zero.
func fxHalfSum[T fxRaw](a, b T) T {
	s := int64(a) + int64(b)
	if s >= 0 {
		return T((s + 1) / 2)
	}
	return T((s - 1) / 2)
}

// fxAddSat16 adds, saturating only for 16-bit raws (gemmlowp's
// AddSaturatingIf16Bit); 32-bit sums wrap as in the reference.
func fxAddSat16[T fxRaw](a, b T) T {
	if fxBits[T]() == 16 {
		return fxSat[T](int64(a) + int64(b))
	}
	return a + b
}

// fxConst converts a constant written as a 32-bit raw into T's raw
// (gemmlowp's RescaleConstantInitializer).
func fxConst[T fxRaw](v int32) T { return T(fxRDPOT(v, 32-fxBits[T]())) }

// fxOne is 1.0 in a format with m integer bits.
func fxOne[T fxRaw](m int) T {
	if m == 0 {
		return fxMax[T]()
	}
	return T(int64(1) << (fxBits[T]() - 1 - m))
}

// fxSelect returns t where the mask is set, e otherwise (scalar masks).
func fxSelect[T fxRaw](mask bool, t, e T) T {
	if mask {
		return t
	}
	return e
}

// fxExpQuarter is exp(a) for a in [-1/4, 0), a with 0 integer bits.
func fxExpQuarter[T fxRaw](a T) T {
	ct := fxConst[T](1895147668)   // exp(-1/8)
	third := fxConst[T](715827883) // 1/3
	x := a + T(int64(1)<<(fxBits[T]()-1-3))
	x2 := fxSRDHM(x, x)
	x3 := fxSRDHM(x2, x)
	x4 := fxSRDHM(x2, x2)
	x4q := fxMulPOT(x4, -2)
	poly := fxMulPOT(fxSRDHM(x4q+x3, third)+x2, -1)
	return fxAddSat16(ct, fxSRDHM(ct, x+poly))
}

// fxExpNeg is exp(a) for a <= 0 with m integer bits; the result has 0
// integer bits.
func fxExpNeg[T fxRaw](a T, m int) T {
	frac := fxBits[T]() - 1 - m
	quarter := T(int64(1) << (frac - 2))
	mask := quarter - 1
	aMod := (a & mask) - quarter
	result := fxExpQuarter(fxMulPOT(aMod, m))
	rem := aMod - a
	barrel := [...]struct {
		exp  int
		mult int32
	}{
		{-2, 1672461947}, // exp(-1/4)
		{-1, 1302514674}, // exp(-1/2)
		{0, 790015084},   // exp(-1)
		{1, 290630308},   // exp(-2)
		{2, 39332535},    // exp(-4)
		{3, 720401},      // exp(-8)
		{4, 242},         // exp(-16)
	}
	for _, s := range barrel {
		if m > s.exp && int64(rem)&(int64(1)<<(frac+s.exp)) != 0 {
			result = fxSRDHM(result, fxConst[T](s.mult))
		}
	}
	if m > 5 {
		clamp := fxConst[T](-(int32(1) << (36 - m)))
		if a < clamp {
			result = 0
		}
	}
	if a == 0 {
		result = fxMax[T]()
	}
	return result
}

// fxNewtonRecip runs gemmlowp's Newton-Raphson iteration for 1/(1+a), a in
// [0, 1) with 0 integer bits; the result has 2 integer bits.
func fxNewtonRecip[T fxRaw](a T) T {
	half := fxHalfSum(a, fxMax[T]())
	c48 := fxConst[T](1515870810)   // 48/17, 2 integer bits
	cm32 := fxConst[T](-1010580540) // -32/17, 2 integer bits
	one2 := fxOne[T](2)
	x := c48 + fxSRDHM(half, cm32)
	for range 3 {
		hx := fxSRDHM(half, x)
		x += fxMulPOT(fxSRDHM(x, one2-hx), 2)
	}
	return x
}

// fxOneOverOnePlusX is 1/(1+a) for a in [0, 1), 0 integer bits in and out.
func fxOneOverOnePlusX[T fxRaw](a T) T { return fxMulPOT(fxNewtonRecip(a), 1) }

// fxOneMinusXOverOnePlusX is (1-a)/(1+a) for a in [0, 1).
func fxOneMinusXOverOnePlusX[T fxRaw](a T) T {
	return fxMulPOT(fxNewtonRecip(a)-fxOne[T](2), 2)
}

// fxLogistic is 1/(1+exp(-a)) for a with m integer bits; 0 integer bits out.
func fxLogistic[T fxRaw](a T, m int) T {
	abs := fxSelect(a > 0, a, -a)
	pos := fxOneOverOnePlusX(fxExpNeg(-abs, m))
	switch {
	case a == 0:
		return fxConst[T](1 << 30)
	case a > 0:
		return pos
	}
	return fxMax[T]() - pos
}

// fxTanh is tanh(a) for a with m integer bits; 0 integer bits out.
func fxTanh[T fxRaw](a T, m int) T {
	n := fxSelect(a < 0, a, -a)
	t := fxOneMinusXOverOnePlusX(fxExpNeg(n, m+1))
	switch {
	case a == 0:
		return 0
	case a < 0:
		return -t
	}
	return t
}

// fxCLZ32 counts leading zero bits of x as an unsigned 32-bit value.
func fxCLZ32(x int32) int { return bits.LeadingZeros32(uint32(x)) }

// fxCLS32 counts leading sign bits of x, not counting the sign bit itself
// (TFLite's CountLeadingSignBits).
func fxCLS32(x int32) int {
	switch {
	case x >= 0:
		return fxCLZ32(x) - 1
	case x != math.MinInt32:
		return bits.LeadingZeros32(2*uint32(-x) - 1)
	}
	return 0
}

// fxReciprocal is TFLite's GetReciprocal: 1/x as a 0-integer-bit value and
// the number of bits of x above the unit. x must be > 0.
func fxReciprocal(x int32, digits int) (inv int32, bitsOverUnit int) {
	hpo := fxCLZ32(x)
	bitsOverUnit = digits - hpo
	shifted := int32(uint32(x)<<uint(hpo) - 1<<31)
	return fxOneOverOnePlusX(shifted), bitsOverUnit
}

// fxInvSqrt is TFLite's GetInvSqrtQuantizedMultiplierExp: a multiplier and
// shift representing 1/sqrt(input), with the shift negated when
// reverseShift is -1.
func fxInvSqrt(input int32, reverseShift int) (int32, int) {
	if input <= 1 {
		return math.MaxInt32, 0
	}
	shift := 11
	for input >= 1<<29 {
		input /= 4
		shift++
	}
	pairs := (fxCLZ32(input)-1)/2 - 1
	shift -= pairs
	input <<= 2 * uint(pairs)
	// Newton-Raphson for 1/sqrt in a format with 3 integer bits.
	in3 := input >> 1
	halfIn := fxMulPOT(in3, -1)
	halfThree := int32(1<<28 + 1<<27)
	x := fxOne[int32](3)
	for range 5 {
		x3 := fxMulPOT(fxSRDHM(fxSRDHM(x, x), x), 6)
		x = fxMulPOT(fxSRDHM(halfThree, x)-fxSRDHM(halfIn, x3), 3)
	}
	x = fxSRDHM(x, 1518500250) // sqrt(2)/2
	if shift < 0 {
		x <<= uint(-shift)
		shift = 0
	}
	return x, shift * reverseShift
}

// fxMulQ is MultiplyByQuantizedMultiplier (double rounding) that stays exact
// for right shifts beyond 31 bits.
func fxMulQ(x, q int32, shift int) int32 {
	if shift > 0 {
		return SaturatingRoundingDoublingHighMul(x*(int32(1)<<uint(min(shift, 31))), q)
	}
	return fxRDPOT(SaturatingRoundingDoublingHighMul(x, q), -shift)
}

// ---- lookup tables ----

// ewLUT8 maps every 8-bit input code to an output code. Indexing is by the
// code's byte value, so int8 inputs index it through uint8(x).
type ewLUT8 [256]uint8

// ewLUT8Build fills a table the way TFLite's LUTPopulate<int8/uint8> does:
// dequantize each code, apply f in float32, requantize with rounding half
// away from zero and saturate.
func ewLUT8Build(t *ewLUT8, signed bool, inScale float32, inZP int32, outScale float32, outZP int32, f func(float32) float32) {
	lo, hi := int32(0), int32(255)
	if signed {
		lo, hi = -128, 127
	}
	inv := 1 / outScale
	for v := lo; v <= hi; v++ {
		x := float32(inScale * float32(v-inZP))
		y := f(x)
		r := float32(math.Round(float64(float32(y * inv))))
		q := min(max(ewSatInt32(float64(float32(r+float32(outZP)))), lo), hi)
		t[uint8(v)] = uint8(q)
	}
}

// ewLUT16 is TFLite's 513-entry int16 table: 512 segments addressed by the
// high 9 bits of the input and linear interpolation on the low 7 bits.
type ewLUT16 [513]int16

// ewLUT16Build fills a table the way TFLite's LUTPopulate<int16_t> does, in
// the floating-point type F the TFLite kernel uses.
func ewLUT16Build[F float32 | float64](t *ewLUT16, inScale F, inZP int32, outScale F, outZP int32, f func(F) F) {
	inMin := F(inScale * F(-32768-inZP))
	inMax := F(inScale * F(32767-inZP))
	outMin := F(outScale * F(-32768-outZP))
	outMax := F(outScale * F(32767-outZP))
	const steps = 512
	step := F((inMax - inMin) / steps)
	halfStep := F(step / 2)
	scaleInv := F(65536 / F(outMax-outMin))
	round := func(x F) F { return F(math.Round(float64(x))) }
	clamp := func(x F) int16 { return int16(min(max(x, -32768), 32767)) }
	for i := range steps {
		x := F(inMin + F(F(i)*step))
		val := f(x)
		mid := f(F(x + halfStep))
		next := f(F(inMin + F(F(i+1)*step)))
		sample := round(F(val * scaleInv))
		midInterp := round(F(F(F(next*scaleInv)+round(F(val*scaleInv))) / 2))
		midVal := round(F(mid * scaleInv))
		bias := round(F(F(midInterp-midVal) / 2))
		t[i] = clamp(F(sample - bias))
	}
	t[steps] = clamp(round(F(f(inMax) * scaleInv)))
}

// ewLUT16Lookup interpolates the table at v.
func ewLUT16Lookup(v int16, t *ewLUT16) int16 {
	idx := 256 + int(v>>7)
	off := int32(v & 0x7f)
	base := t[idx]
	slope := int32(t[idx+1] - base) // int16 arithmetic, as in TFLite
	return int16(int32(base) + (slope*off+64)>>7)
}

// ---- quantization parameters ----

// ewSatInt32 converts a float to int32, truncating toward zero and
// saturating out-of-range values; NaN becomes the most negative int32, as
// x86 converts it. (Go leaves out-of-range conversions unspecified.)
func ewSatInt32(x float64) int32 {
	switch {
	case x != x:
		return math.MinInt32
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int32(x)
}

// ewQ is the per-tensor quantization of one tensor. TFLite keeps the
// scale as a float and several kernels compute their multipliers in float
// arithmetic, so f32 is kept next to the (exact) float64 value.
type ewQ struct {
	scale float64
	f32   float32
	zp    int32
}

// ewTensorQuant returns the per-tensor quantization of t, checking that it
// exists, has a positive finite scale and a zero point inside t's type.
func ewTensorQuant(n *Node, t *Tensor, what string) (ewQ, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return ewQ{}, n.Errorf("%s tensor %q (%s) has no quantization parameters", what, t.Name, t.Type)
	}
	s := float64(t.Quant.Scale[0])
	if !(s > 0) || math.IsInf(s, 0) {
		return ewQ{}, n.Errorf("%s tensor %q has invalid scale %g", what, t.Name, s)
	}
	var zp int64
	if len(t.Quant.ZeroPoint) > 0 {
		zp = t.Quant.ZeroPoint[0]
	}
	lo, hi := TypeRange(t.Type)
	if zp < int64(lo) || zp > int64(hi) {
		return ewQ{}, n.Errorf("%s tensor %q has zero point %d outside the %s range", what, t.Name, zp, t.Type)
	}
	return ewQ{scale: s, f32: t.Quant.Scale[0], zp: int32(zp)}, nil
}

// ewHasQuant reports whether t carries quantization parameters.
func ewHasQuant(t *Tensor) bool { return t.Quant != nil && len(t.Quant.Scale) > 0 }

// ewCheckedLog2 is TFLite's CheckedLog2: whether x is a power of two (within
// 1e-3 in log space) and its rounded log2.
func ewCheckedLog2(x float64) (int, bool) {
	l := math.Log2(x)
	r := math.Round(l)
	return int(r), math.Abs(l-r) < 1e-3
}

// checkEwActivation checks that the fused activation option is one the
// clamp-based kernels can apply.
func checkEwActivation(n *Node, a Activation) (Activation, error) {
	if !a.Supported() {
		name := map[Activation]string{ActTanh: "TANH", ActSignBit: "SIGN_BIT"}[a]
		if name == "" {
			return 0, n.Errorf("unknown fused activation %d", a)
		}
		return 0, n.Errorf("fused activation %s is not supported", name)
	}
	return a, nil
}

// ewActRange is the clamp range of a fused activation on a quantized
// output (TFLite's CalculateActivationRangeQuantized).
func ewActRange(a Activation, t models.DType, q ewQ) (lo, hi int32) {
	tlo, thi := TypeRange(t)
	lo, hi = a.QuantRange(tlo, thi, q.scale, q.zp)
	return lo, hi
}
