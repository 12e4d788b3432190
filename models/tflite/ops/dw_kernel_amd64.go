//go:build !purego

package ops

// dwRowI8Vec runs the AVX2 row kernel over the channels in blocks of 16,
// then one of 8, and returns how many channels it did; dwRowI8On has
// checked the offsets and sizes.
func dwRowI8Vec(_ gemmPath, out, in []int8, taps, ftaps []int, f []int8, bias, mult []int32, shift []int, xo int32, npix, inStep int, zp, lo, hi int32) int {
	c := len(bias)
	b16, b8 := c/16, c%16/8
	if b16+b8 == 0 {
		return 0
	}
	dwRowI8AVX2(&out[0], &in[0], &taps[0], &ftaps[0], len(taps), &f[0], &bias[0], &mult[0], &shift[0], b16, b8, npix, inStep, c, xo, zp, lo, hi)
	return 16*b16 + 8*b8
}

// dwRowF32Vec is dwRowI8Vec for float32: blocks of 32 channels (four
// independent FMA chains), then the blocks of 8 four pixels at a time
// (a chain per pixel), the pixels left over one at a time.
func dwRowF32Vec(_ gemmPath, out, in []float32, taps, ftaps []int, f, bias []float32, npix, inStep int, lo, hi float32) int {
	c := len(bias)
	b32, b8 := c/32, c%32/8
	if b32+b8 == 0 {
		return 0
	}
	if b32 > 0 {
		dwRowF32AVX2(&out[0], &in[0], &taps[0], &ftaps[0], len(taps), &f[0], &bias[0], b32, 0, npix, 4*inStep, 4*c, lo, hi)
	}
	if b8 == 0 {
		return 32 * b32
	}
	// The 8-channel blocks start at channel c0: every pointer moves there
	// and the tap offsets stay as they are.
	c0, q := 32*b32, npix/4
	if q > 0 {
		dwRowF32Q4AVX2(&out[c0], &in[c0], &taps[0], &ftaps[0], len(taps), &f[c0], &bias[c0], 32*b8, q, 4*inStep, 4*c, lo, hi)
	}
	if p := 4 * q; p < npix {
		dwRowF32AVX2(&out[p*c+c0], &in[p*inStep+c0], &taps[0], &ftaps[0], len(taps), &f[c0], &bias[c0], 0, b8, npix-p, 4*inStep, 4*c, lo, hi)
	}
	return 32*b32 + 8*b8
}

// dwRowI8AVX2 is dwRowI8On for channels [0, 16*b16+8*b8) of npix pixels;
// c is the channel count (the output pixel stride), ntaps > 0.
//
//go:noescape
func dwRowI8AVX2(out, in *int8, taps, ftaps *int, ntaps int, f *int8, add, mult *int32, shift *int, b16, b8, npix, inStep, c int, xo, zp, lo, hi int32)

// dwRowF32AVX2 is dwRowF32On for channels [0, 32*b32+8*b8); inStepBytes
// and cBytes are the pixel and output strides in bytes, ntaps > 0.
//
//go:noescape
func dwRowF32AVX2(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b32, b8, npix, inStepBytes, cBytes int, lo, hi float32)

// dwRowF32Q4AVX2 is dwRowF32On for 4*nquad pixels and channels [0,
// b8Bytes/4) in blocks of 8; strides in bytes as for dwRowF32AVX2.
//
//go:noescape
func dwRowF32Q4AVX2(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b8Bytes, nquad, inStepBytes, cBytes int, lo, hi float32)
