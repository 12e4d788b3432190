package ops

// Four-row GEMM for CONV_2D: four im2col patches (or four input pixels of
// a 1x1 convolution) against the same packed filter, so each weight loaded
// from cache feeds four output pixels instead of one.
//
//	a[0*lda : 0*lda+k] ─┐
//	a[1*lda : 1*lda+k] ─┤  x  packed filter (packRowsI8On / packRows)
//	a[2*lda : 2*lda+k] ─┤  =  acc[r*n : (r+1)*n], n = len(acc)/4
//	a[3*lda : 3*lda+k] ─┘
//
// Paths without a four-row kernel run the single-row kernel on each row.

// gemm4I8 is gemm4I8On on the fastest path of this CPU.
func gemm4I8(a []int8, lda, k int, wp []int8, acc []int32) {
	gemm4I8On(bestPath(), a, lda, k, wp, acc)
}

// gemm4I8On sets acc[r*n:(r+1)*n] (n = len(acc)/4, a multiple of 4) to
// gemmRowI8On(p, a[r*lda:r*lda+k], wp, ...) for r < 4, with the same
// integer results.
func gemm4I8On(p gemmPath, a []int8, lda, k int, wp []int8, acc []int32) {
	n := len(acc) / 4
	done := 0
	if p != pathGo && n >= 4 {
		done = gemm4I8Vec(p, a, lda, k, wp, acc)
	}
	for r := 0; r < 4; r++ {
		row, out := a[r*lda:r*lda+k], acc[r*n:(r+1)*n]
		if done == 0 {
			gemmRowI8On(p, row, wp, out)
		} else {
			gemmI8Tail(row, wp, out, done)
		}
	}
}

// gemm4F32 is gemm4F32On on the fastest path of this CPU.
func gemm4F32(a []float32, lda, k int, wp, acc []float32) {
	gemm4F32On(bestPath(), a, lda, k, wp, acc)
}

// gemm4F32On is gemm4I8On for float32 and the packRows layout. The vector
// kernel sums each channel in depth order with fused multiply-adds, so
// results differ from the single-row kernels by rounding only.
func gemm4F32On(p gemmPath, a []float32, lda, k int, wp, acc []float32) {
	n := len(acc) / 4
	if p != pathGo && n >= 4 && gemm4F32Vec(p, a, lda, k, wp, acc) {
		return
	}
	for r := 0; r < 4; r++ {
		gemmRowF32On(p, a[r*lda:r*lda+k], wp, acc[r*n:(r+1)*n])
	}
}

// biasActF32On is biasActF32 on kernel path p. The vector kernel keeps Go's
// min/max semantics (NaN in, NaN out; max(-0, +0) = +0) for clamp bounds
// that are not NaN, which activations never produce.
func biasActF32On(p gemmPath, out, acc, bias []float32, lo, hi float32) {
	n := len(out)
	acc = acc[:n]
	done := 0
	if p != pathGo && lo == lo && hi == hi {
		if bias != nil {
			bias = bias[:n]
		}
		done = biasActVec(p, out, acc, bias, lo, hi)
	}
	if bias != nil {
		bias = bias[:n]
		for i := done; i < n; i++ {
			out[i] = min(max(acc[i]+bias[i], lo), hi)
		}
		return
	}
	for i := done; i < n; i++ {
		out[i] = min(max(acc[i], lo), hi)
	}
}
