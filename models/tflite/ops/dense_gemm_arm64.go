//go:build !purego

package ops

import "golang.org/x/sys/cpu"

// bestPath is SDOT where the CPU has the dot-product extension (ARMv8.2
// and later: Cortex-A55/A75 up), else NEON, which every arm64 CPU has
// (x/sys/cpu still asked, so a CPU that reports otherwise falls back to
// the portable loops).
func bestPath() gemmPath {
	if !cpu.ARM64.HasASIMD {
		return pathGo
	}
	if cpu.ARM64.HasASIMDDP {
		return pathSDOT
	}
	return pathNEON
}

// gemmPaths lists every kernel path this CPU runs, portable first.
func gemmPaths() []gemmPath {
	switch bestPath() {
	case pathSDOT:
		return []gemmPath{pathGo, pathNEON, pathSDOT}
	case pathNEON:
		return []gemmPath{pathGo, pathNEON}
	}
	return []gemmPath{pathGo}
}

// gemmI8Vec runs the vector kernel of path p over the depth and returns
// how far it got: SDOT in steps of 16 then 4, NEON in steps of 16. It
// stores acc (it does not add to it).
func gemmI8Vec(p gemmPath, a, wp []int8, acc []int32) int {
	k, blocks := len(a), len(acc)/4
	if p == pathSDOT {
		kq := quadK(k)
		if kq == 0 {
			return 0
		}
		_ = wp[blocks*4*k-1]
		gemmI8SDOT(&a[0], &wp[0], &acc[0], kq/16, kq%16/4, k, blocks)
		return kq
	}
	n := k / 16
	if n == 0 {
		return 0
	}
	_ = wp[blocks*4*k-1] // the assembly does no bounds checks
	gemmI8NEON(&a[0], &wp[0], &acc[0], n, k, blocks)
	return 16 * n
}

// gemmI8SDOT sets acc[4b:4b+4] to the products of a[:16n+4q] with block b
// of a packRowsI8On(pathSDOT) filter (blocks of 4k bytes), b < blocks.
//
//go:noescape
func gemmI8SDOT(a, wp *int8, acc *int32, n, q, k, blocks int)

// gemmF32Vec is gemmI8Vec for float32, in steps of 4.
func gemmF32Vec(_ gemmPath, a, wp, acc []float32) int {
	k, blocks := len(a), len(acc)/4
	n := k / 4
	if n == 0 {
		return 0
	}
	_ = wp[blocks*4*k-1]
	gemmF32NEON(&a[0], &wp[0], &acc[0], n, k, blocks)
	return 4 * n
}

// gemmI8NEON sets acc[4b:4b+4] to the products of a[:16n] with block b of
// a packRowsI8 filter (blocks of 4k bytes), for b < blocks.
//
//go:noescape
func gemmI8NEON(a, wp *int8, acc *int32, n, k, blocks int)

// gemmF32NEON is gemmI8NEON for float32 and the packRows layout, a[:4n].
//
//go:noescape
func gemmF32NEON(a, wp, acc *float32, n, k, blocks int)

// dwI8Vec runs the NEON depthwise tap over the channels in steps of 16 and
// returns how far it got (len(acc) and len(f) are at least len(x)).
func dwI8Vec(_ gemmPath, acc []int32, x, f []int8, xo int32) int {
	n := len(x) / 16
	if n == 0 {
		return 0
	}
	_, _ = acc[16*n-1], f[16*n-1]
	dwI8NEON(&acc[0], &x[0], &f[0], n, xo)
	return 16 * n
}

// dwI8NEON adds f[c]*(x[c]+xo) to acc[c] for c < 16n; x+xo fits int16.
//
//go:noescape
func dwI8NEON(acc *int32, x, f *int8, n int, xo int32)

// requantVec runs requantize32's arithmetic on 4 channels per NEON step,
// leaving the clamped results in acc[:4*steps], and returns how many
// channels it did.
func requantVec(_ gemmPath, acc, add, mult []int32, shift []int, zp, lo, hi int32) int {
	n := len(acc) / 4
	if n == 0 {
		return 0
	}
	_, _, _ = add[4*n-1], mult[4*n-1], shift[4*n-1]
	requantNEON(&acc[0], &add[0], &mult[0], &shift[0], n, zp, lo, hi)
	return 4 * n
}

//go:noescape
func requantNEON(acc, add, mult *int32, shift *int, n int, zp, lo, hi int32)

// requantVecI8 leaves int8 outputs to requantVec and the narrowing loop.
func requantVecI8(gemmPath, []int8, []int32, []int32, []int32, []int, int32, int32, int32) int {
	return 0
}
