package ops

import "math"

// Float16 SIN, COS and GELU. LiteRT's SIN and COS convert each element to
// float32, call sinf/cosf and round the result back to float16. Its GELU
// evaluates the formula on Eigen::half, where every operation (product, sum,
// erfc, tanh) is done in float32 and rounded to float16 at once; roundF16 is
// that rounding (nearest even), applied after each step in LiteRT's order,
// and to the formula's constants, which LiteRT casts to float16. erfc and
// tanh come from Go's float64 functions rounded to float32, where Eigen has
// its own float32 approximations: the two can differ by a float32 ulp,
// which changes the float16 result only next to a float16 rounding boundary.

// mathHasF16 reports whether op takes float16 tensors.
func mathHasF16(op Op) bool { return op == OpSin || op == OpCos || op == OpGelu }

// roundF16 rounds a float32 to the nearest float16 and widens it back.
func roundF16(x float32) float32 { return qzHalfToFloat(qzFloatToHalf(x)) }

func mathUnaryEvalF16(n *Node, in, out []uint16) {
	var f func(x float32) float32
	switch n.Op {
	case OpSin:
		f = func(x float32) float32 { return float32(math.Sin(float64(x))) }
	case OpCos:
		f = func(x float32) float32 { return float32(math.Cos(float64(x))) }
	default: // OpGelu
		f = geluF16
		if readGeluOptions(n) {
			f = geluApproxF16
		}
	}
	for i, v := range in {
		out[i] = qzFloatToHalf(f(qzHalfToFloat(v)))
	}
}

// geluF16 is 0.5*x * erfc(x * -sqrt(1/2)) with float16 rounding after each
// step; the caller rounds the last product. 0.5 is exact in float16.
func geluF16(x float32) float32 {
	e := roundF16(float32(math.Erfc(float64(roundF16(x * roundF16(-math.Sqrt2/2))))))
	return roundF16(0.5*x) * e
}

// geluApproxF16 is 0.5*x * (1 + tanh(sqrt(2/pi) * (x + 0.044715*x^3))).
func geluApproxF16(x float32) float32 {
	cube := roundF16(roundF16(x*x) * x)
	inner := roundF16(roundF16(float32(math.Sqrt(2/math.Pi))) * roundF16(x+roundF16(roundF16(0.044715)*cube)))
	t := roundF16(1 + roundF16(float32(math.Tanh(float64(inner)))))
	return roundF16(0.5*x) * t
}
