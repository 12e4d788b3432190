package ops

import "math"

// Four-row GEMM for CONV_2D: four output pixels against the same packed
// filter, so each weight loaded from cache feeds four pixels instead of
// one. The rows are read in place from the input: for a window inside the
// image, each filter row (or tap) of four neighbouring pixels is a run of
// the input lda = stride*depth elements apart, so the patch product is a
// sum of parts over depth ranges [d, d+kk) and nothing is copied (no
// im2col); border pixels with short patches come from four copies (lda =
// k, one part).
//
//	in[o+0*lda : +kk] ─┐
//	in[o+1*lda : +kk] ─┤  x  depths [d, d+kk) of every packed block
//	in[o+2*lda : +kk] ─┤  →  acc[r*ldc : r*ldc+n] (stored, or added to)
//	in[o+3*lda : +kk] ─┘          n = channels of wp (len(wp)/k)
//
// fourRows says which paths have these kernels; convolutions elsewhere
// keep the one-pixel path.

// gemm4I8Part sets (add false) or adds to acc[r*ldc : r*ldc+n], r < 4,
// the products of a[r*lda : r*lda+kk] with depths [d, d+kk) of the n =
// len(wp)/k channels of wp, packed by packRowsI8On(p) with depth k. On the
// paths of fourRows(p, true) d and kk must be multiples of 4 and
// d+kk <= quadK(k).
func gemm4I8Part(p gemmPath, a []int8, lda int, wp []int8, k, d, kk int, acc []int32, ldc int, add bool) {
	n := len(wp) / k
	if kk == 0 || n == 0 {
		clear4(acc, ldc, n, add)
		return
	}
	if fourRows(p, true) && gemm4I8Vec(p, a, lda, wp, k, d, kk, acc, ldc, add) {
		return
	}
	q := 0
	if p == pathVNNI || p == pathSDOT {
		q = quadK(k)
	}
	var flip int8
	if p == pathVNNI {
		flip = math.MinInt8 // packed as w+128: the sign bit flipped
	}
	for r := 0; r < 4; r++ {
		row, out := a[r*lda:r*lda+kk], acc[r*ldc:r*ldc+n]
		for blk := 0; 4*blk < n; blk++ {
			w := wp[blk*4*k : (blk+1)*4*k]
			for j := 0; j < 4; j++ {
				var s int32
				for i, x := range row {
					dep := d + i
					if dep < q {
						s += int32(x) * int32(w[(dep&^3)*4+4*j+dep&3]^flip)
						continue
					}
					s += int32(x) * int32(w[i8Index(dep, j, k)])
				}
				if add {
					s += out[4*blk+j]
				}
				out[4*blk+j] = s
			}
		}
	}
}

// gemm4F32Part is gemm4I8Part for float32 and the packRows layout (any d,
// kk). The vector kernels sum with fused multiply-adds, AVX2 and NEON in
// depth order, AVX-512 in four partial sums (depths i mod 4) added at the
// end: results differ from the one-row kernels by rounding only.
func gemm4F32Part(p gemmPath, a []float32, lda int, wp []float32, k, d, kk int, acc []float32, ldc int, add bool) {
	n := len(wp) / k
	if kk == 0 || n == 0 {
		clear4(acc, ldc, n, add)
		return
	}
	if fourRows(p, false) && gemm4F32Vec(p, a, lda, wp, k, d, kk, acc, ldc, add) {
		return
	}
	for r := 0; r < 4; r++ {
		row, out := a[r*lda:r*lda+kk], acc[r*ldc:r*ldc+n]
		for blk := 0; 4*blk < n; blk++ {
			w := wp[blk*4*k : (blk+1)*4*k]
			for j := 0; j < 4; j++ {
				var s float32
				if add {
					s = out[4*blk+j]
				}
				for i, x := range row {
					s += x * w[4*(d+i)+j]
				}
				out[4*blk+j] = s
			}
		}
	}
}

// clear4 is the four-row product of no depths or no channels: the n sums
// of each row stored as 0, or left as they are when added to. The vector
// kernels (gemm4I8Vec, gemm4F32Vec) are never called for it.
func clear4[A int32 | float32](acc []A, ldc, n int, add bool) {
	if add {
		return
	}
	for r := 0; r < 4; r++ {
		clear(acc[r*ldc : r*ldc+n])
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
