//go:build !purego

package ops

// The AVX2 kernels of the hybrid input quantizers (any path but pathGo
// runs them: pathVNNI implies AVX2). Each does n&^7 elements; the Go
// callers do the rest.

// absMaxBitsVec returns the largest sign-cleared bit pattern of v[:n] and
// n, how far it got.
func absMaxBitsVec(_ gemmPath, v []float32) (uint32, int) {
	n := len(v) &^ 7
	if n == 0 {
		return 0, 0
	}
	return absMaxBitsAVX2(&v[0], n), n
}

// minMaxVec returns min(0, v[:n]...), max(0, v[:n]...), n and whether
// v[:n] holds a NaN (then lo and hi mean nothing).
func minMaxVec(_ gemmPath, v []float32) (float32, float32, int, bool) {
	n := len(v) &^ 7
	if n == 0 {
		return 0, 0, 0, false
	}
	lo, hi, nan := minMaxAVX2(&v[0], n)
	return lo, hi, n, nan
}

// quantSymVec sets q[i] = quantSym1(v[i], inv) for i < n and returns n.
func quantSymVec(_ gemmPath, v []float32, q []int8, inv float32) int {
	n := len(v) &^ 7
	if n == 0 {
		return 0
	}
	_ = q[n-1]
	quantSymAVX2(&v[0], &q[0], n, inv)
	return n
}

// quantAsymVec sets q[i] = quantAsym1(v[i], inv, fzp) for i < n and
// returns n.
func quantAsymVec(_ gemmPath, v []float32, q []int8, inv, fzp float32) int {
	n := len(v) &^ 7
	if n == 0 {
		return 0
	}
	_ = q[n-1]
	if quantFused {
		quantAsymFMA(&v[0], &q[0], n, inv, fzp)
	} else {
		quantAsymAVX2(&v[0], &q[0], n, inv, fzp)
	}
	return n
}

// absMaxBitsAVX2 is the largest of bits(v[i]) & 0x7fffffff, i < n, n a
// multiple of 8.
//
//go:noescape
func absMaxBitsAVX2(v *float32, n int) uint32

// minMaxAVX2 is min and max over 0 and v[:n], n a multiple of 8, and
// whether one of v[:n] is a NaN.
//
//go:noescape
func minMaxAVX2(v *float32, n int) (lo, hi float32, nan bool)

// quantSymAVX2 is quantSym1 over v[:n] into q, n a multiple of 8.
//
//go:noescape
func quantSymAVX2(v *float32, q *int8, n int, inv float32)

// quantAsymAVX2 is quantAsym1 over v[:n] into q, n a multiple of 8,
// rounding x*inv before adding fzp.
//
//go:noescape
func quantAsymAVX2(v *float32, q *int8, n int, inv, fzp float32)

// quantAsymFMA is quantAsymAVX2 with fzp + x*inv in one FMA.
//
//go:noescape
func quantAsymFMA(v *float32, q *int8, n int, inv, fzp float32)
