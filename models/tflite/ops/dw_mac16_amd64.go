//go:build !purego

package ops

// dwI16Vec runs the AVX2 int16x8 depthwise tap over the channels in steps
// of 16 and returns how far it got (len(acc) and len(f) are at least
// len(x)).
func dwI16Vec(_ gemmPath, acc []int32, x []int16, f []int8) int {
	n := len(x) / 16
	if n == 0 {
		return 0
	}
	_, _ = acc[16*n-1], f[16*n-1] // the assembly does no bounds checks
	dwI16AVX2(&acc[0], &x[0], &f[0], n)
	return 16 * n
}

// dwI16AVX2 adds f[c]*x[c] to acc[c] for c < 16n, products widened to
// int32 before the multiply (exact).
//
//go:noescape
func dwI16AVX2(acc *int32, x *int16, f *int8, n int)
