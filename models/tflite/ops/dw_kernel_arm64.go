//go:build !purego

package ops

// dwRowI8Vec runs the NEON row kernel over the channels in blocks of 16,
// then one of 8, and returns how many channels it did; dwRowI8On has
// checked the offsets and sizes.
func dwRowI8Vec(_ gemmPath, out, in []int8, taps, ftaps []int, f []int8, bias, mult []int32, shift []int, xo int32, npix, inStep int, zp, lo, hi int32) int {
	c := len(bias)
	b16, b8 := c/16, c%16/8
	if b16+b8 == 0 {
		return 0
	}
	dwRowI8NEON(&out[0], &in[0], &taps[0], &ftaps[0], len(taps), &f[0], &bias[0], &mult[0], &shift[0], b16, b8, npix, inStep, c, xo, zp, lo, hi)
	return 16*b16 + 8*b8
}

// dwRowF32Vec is dwRowI8Vec for float32: blocks of 16 channels (four
// independent FMLA chains), then of 4.
func dwRowF32Vec(_ gemmPath, out, in []float32, taps, ftaps []int, f, bias []float32, npix, inStep int, lo, hi float32) int {
	c := len(bias)
	b16, b4 := c/16, c%16/4
	if b16+b4 == 0 {
		return 0
	}
	dwRowF32NEON(&out[0], &in[0], &taps[0], &ftaps[0], len(taps), &f[0], &bias[0], b16, b4, npix, 4*inStep, 4*c, lo, hi)
	return 16*b16 + 4*b4
}

// dwRowI8NEON is dwRowI8On for channels [0, 16*b16+8*b8) of npix pixels;
// c is the channel count (the output pixel stride), ntaps > 0.
//
//go:noescape
func dwRowI8NEON(out, in *int8, taps, ftaps *int, ntaps int, f *int8, add, mult *int32, shift *int, b16, b8, npix, inStep, c int, xo, zp, lo, hi int32)

// dwRowF32NEON is dwRowF32On for channels [0, 16*b16+4*b4); inStepBytes
// and cBytes are the pixel and output strides in bytes, ntaps > 0.
//
//go:noescape
func dwRowF32NEON(out, in *float32, taps, ftaps *int, ntaps int, f, bias *float32, b16, b4, npix, inStepBytes, cBytes int, lo, hi float32)
