//go:build !purego

package ops

// fourRows reports whether path p has the four-row kernel of gemm4I8Part
// (i8) or gemm4F32Part: NEON and SDOT have both, int8 on the kernel of
// the path's packing (gemm4I8NEON, gemm4I8SDOT), float on gemm4F32NEON.
func fourRows(p gemmPath, _ bool) bool {
	return p == pathNEON || p == pathSDOT
}

// gemm4I8Vec runs gemm4I8Part on the kernel of path p's packing: SDOT
// for the quad layout, NEON for the pair layout.
func gemm4I8Vec(p gemmPath, a []int8, lda int, wp []int8, k, d, kk int, acc []int32, ldc int, add bool) bool {
	n := len(wp) / k
	blocks := n / 4
	_, _, _ = a[3*lda+kk-1], wp[(blocks-1)*4*k+4*(d+kk)-1], acc[3*ldc+n-1] // the assembly does no bounds checks
	if p == pathSDOT {
		gemm4I8SDOT(&a[0], lda, &wp[4*d], &acc[0], ldc, kk/16, kk%16/4, 4*k, blocks, add)
		return true
	}
	gemm4I8NEON(&a[0], lda, &wp[4*d], &acc[0], ldc, kk/16, kk%16/4, 4*k, blocks, add)
	return true
}

// gemm4I8SDOT is gemmI8SDOT for the four rows a+r*lda, r < 4, over 16n+4q
// depths, with blocks bstride bytes apart, storing (or adding, add) row
// r's results at acc+r*ldc (ldc in int32 elements).
//
//go:noescape
func gemm4I8SDOT(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)

// gemm4I8NEON is gemm4I8SDOT for the pair layout of packRowsI8On(pathNEON)
// (depth 4*(d+kk) bytes into a block is the same offset in both layouts).
//
//go:noescape
func gemm4I8NEON(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)

// gemm4F32Vec runs gemm4F32Part on the NEON kernel (both arm64 paths).
func gemm4F32Vec(_ gemmPath, a []float32, lda int, wp []float32, k, d, kk int, acc []float32, ldc int, add bool) bool {
	n := len(wp) / k
	blocks := n / 4
	_, _, _ = a[3*lda+kk-1], wp[(blocks-1)*4*k+4*(d+kk)-1], acc[3*ldc+n-1]
	gemm4F32NEON(&a[0], lda, &wp[4*d], &acc[0], ldc, kk, 4*k, blocks, add)
	return true
}

// gemm4F32NEON sets (or adds to, add) acc[r*ldc+4b : r*ldc+4b+4] the
// products of a[r*lda : r*lda+kk] with kk depths of block b of a packRows
// filter, blocks bstride elements apart, r < 4, b < blocks. Each channel
// is one fused multiply-add chain in depth order (as gemm4F32AVX2), the
// old acc added after: results differ from the one-row kernel, which
// sums four partial chains, by rounding only.
//
//go:noescape
func gemm4F32NEON(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)

// biasActVec runs the float epilogue 4 channels per step and returns how
// many it did. bias may be nil.
func biasActVec(_ gemmPath, out, acc, bias []float32, lo, hi float32) int {
	n := len(out) / 4
	if n == 0 {
		return 0
	}
	_ = acc[4*n-1]
	var b *float32
	if bias != nil {
		b = &bias[:4*n][0]
	}
	biasActNEON(&out[0], &acc[0], b, n, lo, hi)
	return 4 * n
}

// biasActNEON sets out[i] = min(max(acc[i]+bias[i], lo), hi) for i < 4n
// (no bias when bias is nil). FMAX and FMIN are Go's max and min on every
// input: NaN in, NaN out, and -0 < +0.
//
//go:noescape
func biasActNEON(out, acc, bias *float32, n int, lo, hi float32)
