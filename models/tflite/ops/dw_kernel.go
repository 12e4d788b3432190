package ops

// Fused DEPTHWISE_CONV_2D kernels for a depth multiplier of 1 over the
// interior of the image, where every filter tap lands inside the input.
// There no tap needs a bounds test, so a row of output pixels is one call:
//
//	for each pixel:  in += inStep            (sW*C elements)
//	  for each channel c:
//	    s = sum over taps t of f[t*C+c] * in[taps[t]+c]   (in registers)
//	    out[c] = requant(s + add[c])     int8: add = bias - zp_in*sum_t f
//	    out[c] = clamp(s + bias[c])      float32
//
// The input zero point is folded into add (sum f*(x-zp) = sum f*x - zp*sum
// f, exact in wrapping int32 as the reference), so the inner loop is a bare
// multiply-accumulate, and the accumulators never leave registers between
// taps. Border pixels stay on dwPixel.

// dwRowI8On writes npix int8 output pixels of C = len(add) channels to out,
// the window of pixel i starting at in[i*inStep], with requantize32's
// per-channel multipliers and shifts.
func dwRowI8On(p gemmPath, out, in []int8, taps []int, f []int8, add, mult []int32, shift []int, npix, inStep int, zp, lo, hi int32) {
	c := len(add)
	if npix <= 0 || c == 0 {
		return
	}
	mult, shift = mult[:c], shift[:c]
	done := 0
	if p != pathGo && dwRowFits(len(out), len(in), len(f), taps, c, npix, inStep) {
		done = dwRowI8Vec(p, out, in, taps, f, add, mult, shift, npix, inStep, zp, lo, hi)
	}
	if done == c {
		return
	}
	for i := 0; i < npix; i++ {
		x, o := in[i*inStep:], out[i*c:(i+1)*c]
		for ch := done; ch < c; ch++ {
			var s int32
			for t, off := range taps {
				s += int32(f[t*c+ch]) * int32(x[off+ch])
			}
			o[ch] = int8(dwRequant(s+add[ch], mult[ch], shift[ch], zp, lo, hi))
		}
	}
}

// dwRowF32On is dwRowI8On for float32: the sums plus bias, clamped to
// [lo, hi]. Vector paths fuse the multiply and add, a rounding difference.
func dwRowF32On(p gemmPath, out, in []float32, taps []int, f, bias []float32, npix, inStep int, lo, hi float32) {
	c := len(bias)
	if npix <= 0 || c == 0 {
		return
	}
	done := 0
	if p != pathGo && dwRowFits(len(out), len(in), len(f), taps, c, npix, inStep) {
		done = dwRowF32Vec(p, out, in, taps, f, bias, npix, inStep, lo, hi)
	}
	if done == c {
		return
	}
	for i := 0; i < npix; i++ {
		x, o := in[i*inStep:], out[i*c:(i+1)*c]
		for ch := done; ch < c; ch++ {
			var s float32
			for t, off := range taps {
				s += f[t*c+ch] * x[off+ch]
			}
			o[ch] = min(max(s+bias[ch], lo), hi)
		}
	}
}

// dwRowFits reports whether the slices hold all that the vector kernels
// read and write, which do no bounds checks (the caller derives the sizes
// from the prepared geometry, so this holds; the portable loop would
// otherwise meet the bounds checks).
func dwRowFits(nOut, nIn, nF int, taps []int, c, npix, inStep int) bool {
	far := 0
	for _, off := range taps {
		if off < 0 {
			return false
		}
		far = max(far, off)
	}
	return inStep >= 0 && nOut >= npix*c && nF >= len(taps)*c && nIn >= far+(npix-1)*inStep+c
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
