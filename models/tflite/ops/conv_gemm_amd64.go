//go:build !purego

package ops

// fourRows reports whether path p has the four-row kernel of gemm4I8Part
// (i8) or gemm4F32Part: VNNI for int8, AVX2 for float.
func fourRows(p gemmPath, i8 bool) bool {
	if i8 {
		return p == pathVNNI
	}
	return p == pathAVX2 || p == pathVNNI
}

// gemm4I8Vec runs gemm4I8Part on the VNNI kernel (fourRows(p, true)).
func gemm4I8Vec(_ gemmPath, a []int8, lda int, wp []int8, k, d, kk int, acc []int32, ldc int, add bool) bool {
	n := len(wp) / k
	blocks := n / 4
	_, _, _ = a[3*lda+kk-1], wp[(blocks-1)*4*k+4*(d+kk)-1], acc[3*ldc+n-1] // the assembly does no bounds checks
	gemm4I8VNNI(&a[0], lda, &wp[4*d], &acc[0], ldc, kk/16, kk%16/4, 4*k, blocks, add)
	return true
}

// gemm4I8VNNI is gemmI8VNNI for the four rows a+r*lda, r < 4, over 16n+4q
// depths, with blocks bstride bytes apart, storing (or adding, add) row
// r's results at acc+r*ldc (ldc in int32 elements).
//
//go:noescape
func gemm4I8VNNI(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, bstride, blocks int, add bool)

// gemm4F32Vec runs gemm4F32Part on the AVX2 kernel, or the AVX-512 one on
// pathVNNI (fourRows(p, false)).
func gemm4F32Vec(p gemmPath, a []float32, lda int, wp []float32, k, d, kk int, acc []float32, ldc int, add bool) bool {
	n := len(wp) / k
	blocks := n / 4
	_, _, _ = a[3*lda+kk-1], wp[(blocks-1)*4*k+4*(d+kk)-1], acc[3*ldc+n-1]
	if p == pathVNNI {
		gemm4F32AVX512(&a[0], lda, &wp[4*d], &acc[0], ldc, kk, 4*k, blocks, add)
		return true
	}
	gemm4F32AVX2(&a[0], lda, &wp[4*d], &acc[0], ldc, kk, 4*k, blocks, add)
	return true
}

// gemm4F32AVX2 sets (or adds to, add) acc[r*ldc+4b : r*ldc+4b+4] the
// products of a[r*lda : r*lda+kk] with kk depths of block b of a packRows
// filter, blocks bstride elements apart, r < 4, b < blocks.
//
//go:noescape
func gemm4F32AVX2(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)

// biasActVec runs the float epilogue 8 channels per step and returns how
// many it did. bias may be nil.
func biasActVec(_ gemmPath, out, acc, bias []float32, lo, hi float32) int {
	n := len(out) / 8
	if n == 0 {
		return 0
	}
	_ = acc[8*n-1]
	var b *float32
	if bias != nil {
		b = &bias[:8*n][0]
	}
	biasActAVX2(&out[0], &acc[0], b, n, lo, hi)
	return 8 * n
}

// biasActAVX2 sets out[i] = min(max(acc[i]+bias[i], lo), hi) for i < 8n
// (no bias when bias is nil) with Go's min/max on every input.
//
//go:noescape
func biasActAVX2(out, acc, bias *float32, n int, lo, hi float32)
