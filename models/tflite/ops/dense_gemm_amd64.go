//go:build !purego

package ops

import "golang.org/x/sys/cpu"

// bestPath is AVX-512 VNNI when the CPU (and the OS, for the ZMM state)
// has it besides AVX2, else AVX2 with FMA; x/sys/cpu reads the features
// once at start-up.
func bestPath() gemmPath {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return pathGo
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI {
		return pathVNNI
	}
	return pathAVX2
}

// gemmPaths lists every kernel path this CPU runs, portable first.
func gemmPaths() []gemmPath {
	switch bestPath() {
	case pathVNNI:
		return []gemmPath{pathGo, pathAVX2, pathVNNI}
	case pathAVX2:
		return []gemmPath{pathGo, pathAVX2}
	}
	return []gemmPath{pathGo}
}

// gemmI8Vec runs the vector kernel of path p over the depth and returns
// how far it got: VNNI in steps of 16 then 4, AVX2 in steps of 16 and a
// last step of 8. It stores acc (it does not add to it).
func gemmI8Vec(p gemmPath, a, wp []int8, acc []int32) int {
	k, blocks := len(a), len(acc)/4
	if p == pathVNNI {
		kq := quadK(k)
		if kq == 0 {
			return 0
		}
		_ = wp[blocks*4*k-1]
		gemmI8VNNI(&a[0], &wp[0], &acc[0], kq/16, kq%16/4, k, blocks)
		return kq
	}
	if k < 8 {
		return 0
	}
	_ = wp[blocks*4*k-1] // the assembly does no bounds checks
	gemmI8AVX2(&a[0], &wp[0], &acc[0], k/16, k, blocks)
	return k &^ 7
}

// gemmI8VNNI sets acc[4b:4b+4] to the products of a[:16n+4q] with block b
// of a packRowsI8On(pathVNNI) filter (blocks of 4k bytes), b < blocks.
//
//go:noescape
func gemmI8VNNI(a, wp *int8, acc *int32, n, q, k, blocks int)

// gemmF32Vec is gemmI8Vec for float32, in steps of 8 (all of k on
// pathVNNI, gemmF32AVX512).
func gemmF32Vec(p gemmPath, a, wp, acc []float32) int {
	k, blocks := len(a), len(acc)/4
	if p == pathVNNI && k > 0 && blocks > 0 {
		_ = wp[blocks*4*k-1]
		gemmF32AVX512(&a[0], &wp[0], &acc[0], k, blocks)
		return k
	}
	n := k / 8
	if n == 0 {
		return 0
	}
	_ = wp[blocks*4*k-1]
	gemmF32AVX2(&a[0], &wp[0], &acc[0], n, k, blocks)
	return 8 * n
}

// gemmI8AVX2 sets acc[4b:4b+4] to the products of a[:k&^7] (n = k/16)
// with block b of a packRowsI8 filter (blocks of 4k bytes), b < blocks.
//
//go:noescape
func gemmI8AVX2(a, wp *int8, acc *int32, n, k, blocks int)

// gemmF32AVX2 is gemmI8AVX2 for float32 and the packRows layout, a[:8n].
//
//go:noescape
func gemmF32AVX2(a, wp, acc *float32, n, k, blocks int)

// dwI8Vec runs the AVX2 depthwise tap over the channels in steps of 16 and
// returns how far it got (len(acc) and len(f) are at least len(x)).
func dwI8Vec(_ gemmPath, acc []int32, x, f []int8, xo int32) int {
	n := len(x) / 16
	if n == 0 {
		return 0
	}
	_, _ = acc[16*n-1], f[16*n-1]
	dwI8AVX2(&acc[0], &x[0], &f[0], n, xo)
	return 16 * n
}

// dwI8AVX2 adds f[c]*(x[c]+xo) to acc[c] for c < 16n; |x+xo| <= 255.
//
//go:noescape
func dwI8AVX2(acc *int32, x, f *int8, n int, xo int32)

// requantVec runs requantize32's arithmetic on 8 channels per AVX2 step
// (all of them on pathVNNI, requant512), leaving the clamped results in
// acc, and returns how many channels it did.
func requantVec(p gemmPath, acc, add, mult []int32, shift []int, zp, lo, hi int32) int {
	if p == pathVNNI {
		return requant512(nil, acc, add, mult, shift, zp, lo, hi)
	}
	n := len(acc) / 8
	if n == 0 {
		return 0
	}
	_, _, _ = add[8*n-1], mult[8*n-1], shift[8*n-1]
	requantAVX2(&acc[0], &add[0], &mult[0], &shift[0], nil, n, zp, lo, hi)
	return 8 * n
}

// requantVecI8 is requantVec writing int8 results straight into out
// (len(out) channels), which spares requantize32 its narrowing loop. The
// narrowing saturates where the portable conversion wraps, so a clamp
// beyond int8 is left to requantVec.
func requantVecI8(p gemmPath, out []int8, acc, add, mult []int32, shift []int, zp, lo, hi int32) int {
	if lo < -128 || hi > 127 {
		return 0
	}
	if p == pathVNNI {
		return requant512(out, acc, add, mult, shift, zp, lo, hi)
	}
	n := len(out) / 8
	if n == 0 {
		return 0
	}
	_, _, _, _ = acc[8*n-1], add[8*n-1], mult[8*n-1], shift[8*n-1]
	requantAVX2(&acc[0], &add[0], &mult[0], &shift[0], &out[0], n, zp, lo, hi)
	return 8 * n
}

//go:noescape
func requantAVX2(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32)
