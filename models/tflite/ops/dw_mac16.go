package ops

// dwMACI16 is DEPTHWISE_CONV_2D's int16x8 tap, acc[c] += f[c]*x[c], in
// int32 on the fastest kernel this CPU runs. A product is at most 2^22 in
// magnitude (-32768 * -128), so int32 sums of fewer than 512 taps are
// exact: dwInt16Taps32 says when a layer may use it instead of int64.
func dwMACI16(acc []int32, x []int16, f []int8) { dwMACI16On(bestPath(), acc, x, f) }

// dwMACI16x is dwMACI16 in dwPixel's form (no input offset: int16 inputs
// have zero point 0).
func dwMACI16x(acc []int32, x []int16, f []int8, _ int32) { dwMACI16(acc, x, f) }

// dwInt16Taps32 is the largest window (fH*fW taps) whose int16x8 sums
// stay exact in int32: 511 * 2^22 < 2^31.
const dwInt16Taps32 = 511

// dwMACI16On is dwMACI16 on kernel path p.
func dwMACI16On(p gemmPath, acc []int32, x []int16, f []int8) {
	done := 0
	if p != pathGo {
		done = dwI16Vec(p, acc, x, f)
	}
	acc, f = acc[done:len(x)], f[done:len(x)]
	for c, v := range x[done:] {
		acc[c] += int32(f[c]) * int32(v)
	}
}

// widen64 copies int32 sums into the int64 accumulators requantize64 reads.
func widen64(dst []int64, src []int32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = int64(v)
	}
}
