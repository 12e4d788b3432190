package ops

// Fused DEPTHWISE_CONV_2D kernels for a depth multiplier of 1: a run of
// output pixels of one row that see the same filter taps is one call,
//
//	for each pixel i:              (window i starts at in[i*inStep])
//	  for each channel c:
//	    s = sum over taps t of f[ftaps[t]+c] * (in[i*inStep+taps[t]+c] + xo)
//	    out[i*C+c] = requant(s + bias[c])      int8
//	    out[i*C+c] = clamp(s + bias[c])        float32 (xo = 0)
//
// with the sums in registers over all taps and the requantization or
// activation applied before the one store. Only the taps inside the input
// are listed, so the same kernel does interior runs (all taps) and border
// pixels (the taps that land inside); outside taps add nothing, as the
// reference's bounds tests skip them.

// dwRowI8On writes npix int8 output pixels of C = len(bias) channels to
// out, with requantize32's per-channel multipliers and shifts.
func dwRowI8On(p gemmPath, out, in []int8, taps, ftaps []int, f []int8, bias, mult []int32, shift []int, xo int32, npix, inStep int, zp, lo, hi int32) {
	c := len(bias)
	if npix <= 0 || c == 0 {
		return
	}
	mult, shift, ftaps = mult[:c], shift[:c], ftaps[:len(taps)]
	done := 0
	// The vector kernel multiplies in 16 bits: exact while |x+xo| <= 255.
	if p != pathGo && xo >= -127 && xo <= 128 && dwRowFits(len(out), len(in), len(f), taps, ftaps, c, npix, inStep) {
		done = dwRowI8Vec(p, out, in, taps, ftaps, f, bias, mult, shift, xo, npix, inStep, zp, lo, hi)
	}
	if done == c {
		return
	}
	for i := 0; i < npix; i++ {
		x, o := in[i*inStep:], out[i*c:(i+1)*c]
		// Chunks of channels sum over all taps in a stack array: each
		// tap is then a run over contiguous input and filter.
		for c0 := done; c0 < c; c0 += dwChunk {
			var acc [dwChunk]int32
			a := acc[:min(dwChunk, c-c0)]
			for t, off := range taps {
				xs, fs := x[off+c0:off+c0+len(a)], f[ftaps[t]+c0:ftaps[t]+c0+len(a)]
				for j := range a {
					a[j] += int32(fs[j]) * (int32(xs[j]) + xo)
				}
			}
			for j, v := range a {
				o[c0+j] = int8(dwRequant(v+bias[c0+j], mult[c0+j], shift[c0+j], zp, lo, hi))
			}
		}
	}
}

// dwChunk is how many channels the portable loops sum at a time.
const dwChunk = 16

// dwRowF32On is dwRowI8On for float32: the sums plus bias, clamped to
// [lo, hi]. Vector paths fuse the multiply and add, a rounding difference.
func dwRowF32On(p gemmPath, out, in []float32, taps, ftaps []int, f, bias []float32, npix, inStep int, lo, hi float32) {
	c := len(bias)
	if npix <= 0 || c == 0 {
		return
	}
	ftaps = ftaps[:len(taps)]
	done := 0
	if p != pathGo && dwRowFits(len(out), len(in), len(f), taps, ftaps, c, npix, inStep) {
		done = dwRowF32Vec(p, out, in, taps, ftaps, f, bias, npix, inStep, lo, hi)
	}
	if done == c {
		return
	}
	for i := 0; i < npix; i++ {
		x, o := in[i*inStep:], out[i*c:(i+1)*c]
		for c0 := done; c0 < c; c0 += dwChunk {
			var acc [dwChunk]float32
			a := acc[:min(dwChunk, c-c0)]
			for t, off := range taps {
				xs, fs := x[off+c0:off+c0+len(a)], f[ftaps[t]+c0:ftaps[t]+c0+len(a)]
				for j := range a {
					a[j] += fs[j] * xs[j]
				}
			}
			for j, v := range a {
				o[c0+j] = min(max(v+bias[c0+j], lo), hi)
			}
		}
	}
}

// dwRowFits reports whether the slices hold all that the vector kernels
// read and write, which do no bounds checks, and there is a tap to sum
// (the caller derives the offsets from the prepared geometry, so this
// holds; otherwise the portable loop meets Go's bounds checks).
func dwRowFits(nOut, nIn, nF int, taps, ftaps []int, c, npix, inStep int) bool {
	if len(taps) == 0 || inStep < 0 || nOut < npix*c {
		return false
	}
	for t, off := range taps {
		if off < 0 || off+(npix-1)*inStep+c > nIn || ftaps[t] < 0 || ftaps[t]+c > nF {
			return false
		}
	}
	return true
}

// dwRequant is requantize32's arithmetic for one channel: x scaled by the
// Q31 multiplier q and 2^shift (rounding half away from zero), plus zp,
// clamped to [lo, hi].
func dwRequant(x, q int32, shift int, zp, lo, hi int32) int32 {
	x <<= uint(max(shift, 0))
	rsh := uint(max(-shift, 0))
	var h int32
	if x == q && x == -1<<31 {
		h = 1<<31 - 1
	} else {
		ab := int64(x) * int64(q)
		h = int32((ab + int64(1<<30) - (ab>>63)&(1<<31-1)) / (1 << 31))
	}
	mask := int32(1)<<rsh - 1
	threshold := mask>>1 + int32(uint32(h)>>31)
	v := h>>rsh + int32(uint32(threshold-h&mask)>>31) + zp
	return min(max(v, lo), hi)
}
