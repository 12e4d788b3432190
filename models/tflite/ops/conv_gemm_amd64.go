//go:build !purego

package ops

// gemm4I8Vec runs the four-row VNNI kernel (other paths: none, 0) over the
// depth in steps of 16 then 4 and returns how far it got; it stores acc.
func gemm4I8Vec(p gemmPath, a []int8, lda, k int, wp []int8, acc []int32) int {
	kq := quadK(k)
	if p != pathVNNI || kq == 0 {
		return 0
	}
	n := len(acc) / 4
	blocks := n / 4
	_, _ = a[3*lda+k-1], wp[blocks*4*k-1] // the assembly does no bounds checks
	gemm4I8VNNI(&a[0], lda, &wp[0], &acc[0], n, kq/16, kq%16/4, k, blocks)
	return kq
}

// gemm4I8VNNI is gemmI8VNNI for the four rows a+r*lda, r < 4, storing row
// r's blocks at acc+r*ldc (ldc in int32 elements).
//
//go:noescape
func gemm4I8VNNI(a *int8, lda int, wp *int8, acc *int32, ldc, n, q, k, blocks int)

// gemm4F32Vec runs the four-row AVX2 float kernel over the whole depth.
func gemm4F32Vec(_ gemmPath, a []float32, lda, k int, wp, acc []float32) bool {
	if k == 0 {
		return false
	}
	n := len(acc) / 4
	blocks := n / 4
	_, _ = a[3*lda+k-1], wp[blocks*4*k-1]
	gemm4F32AVX2(&a[0], lda, &wp[0], &acc[0], n, k, blocks)
	return true
}

// gemm4F32AVX2 sets acc[r*ldc+4b : r*ldc+4b+4] to the products of the row
// a[r*lda : r*lda+k] with block b of a packRows filter, r < 4, b < blocks.
//
//go:noescape
func gemm4F32AVX2(a *float32, lda int, wp, acc *float32, ldc, k, blocks int)

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
