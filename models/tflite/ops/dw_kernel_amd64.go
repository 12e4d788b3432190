//go:build !purego

package ops

// dwRowI8Vec runs the AVX2 row kernel over the channels in blocks of 16
// and returns how many channels it did; dwRowI8On has checked the sizes.
func dwRowI8Vec(_ gemmPath, out, in []int8, taps []int, f []int8, add, mult []int32, shift []int, npix, inStep int, zp, lo, hi int32) int {
	c := len(add)
	blocks := c / 16
	if blocks == 0 || len(taps) == 0 {
		return 0
	}
	dwRowI8AVX2(&out[0], &in[0], &taps[0], len(taps), &f[0], &add[0], &mult[0], &shift[0], blocks, npix, inStep, c, zp, lo, hi)
	return 16 * blocks
}

// dwRowF32Vec is dwRowI8Vec for float32: blocks of 32 channels (four
// independent FMA chains), then of 8.
func dwRowF32Vec(_ gemmPath, out, in []float32, taps []int, f, bias []float32, npix, inStep int, lo, hi float32) int {
	c := len(bias)
	b32, b8 := c/32, c%32/8
	if b32+b8 == 0 || len(taps) == 0 {
		return 0
	}
	dwRowF32AVX2(&out[0], &in[0], &taps[0], len(taps), &f[0], &bias[0], b32, b8, npix, 4*inStep, 4*c, lo, hi)
	return 32*b32 + 8*b8
}

// dwRowI8AVX2 is dwRowI8On for channels [0, 16*blocks) of npix pixels;
// c is the channel count (the output pixel and filter tap strides).
//
//go:noescape
func dwRowI8AVX2(out, in *int8, taps *int, ntaps int, f *int8, add, mult *int32, shift *int, blocks, npix, inStep, c int, zp, lo, hi int32)

// dwRowF32AVX2 is dwRowF32On for channels [0, 32*b32+8*b8); inStepBytes
// and cBytes are the pixel and tap strides in bytes.
//
//go:noescape
func dwRowF32AVX2(out, in *float32, taps *int, ntaps int, f, bias *float32, b32, b8, npix, inStepBytes, cBytes int, lo, hi float32)
