//go:build !purego

package ops

// The NEON kernels of the hybrid input quantizers (pathNEON and pathSDOT
// both run them). Each does n&^3 elements; the Go callers do the rest.

// absMaxBitsVec returns the largest sign-cleared bit pattern of v[:n] and
// n, how far it got.
func absMaxBitsVec(_ gemmPath, v []float32) (uint32, int) {
	n := len(v) &^ 3
	if n == 0 {
		return 0, 0
	}
	return absMaxBitsNEON(&v[0], n), n
}

// minMaxVec returns min(0, v[:n]...), max(0, v[:n]...), n and whether
// v[:n] holds a NaN (FMIN propagates NaNs, so lo is then a NaN).
func minMaxVec(_ gemmPath, v []float32) (float32, float32, int, bool) {
	n := len(v) &^ 3
	if n == 0 {
		return 0, 0, 0, false
	}
	lo, hi := minMaxNEON(&v[0], n)
	return lo, hi, n, lo != lo || hi != hi
}

// quantSymVec sets q[i] = quantSym1(v[i], inv) for i < n and returns n.
func quantSymVec(_ gemmPath, v []float32, q []int8, inv float32) int {
	n := len(v) &^ 3
	if n == 0 {
		return 0
	}
	_ = q[n-1]
	quantSymNEON(&v[0], &q[0], n, inv)
	return n
}

// quantAsymVec sets q[i] = quantAsym1(v[i], inv, fzp) for i < n and
// returns n: like the compiler on arm64, it fuses fzp + x*inv (FMLA).
func quantAsymVec(_ gemmPath, v []float32, q []int8, inv, fzp float32) int {
	n := len(v) &^ 3
	if n == 0 {
		return 0
	}
	_ = q[n-1]
	quantAsymNEON(&v[0], &q[0], n, inv, fzp)
	return n
}

// absMaxBitsNEON is the largest of bits(v[i]) & 0x7fffffff, i < n, n a
// multiple of 4.
//
//go:noescape
func absMaxBitsNEON(v *float32, n int) uint32

// minMaxNEON is min and max over 0 and v[:n], n a multiple of 4; both are
// NaN if one of v[:n] is.
//
//go:noescape
func minMaxNEON(v *float32, n int) (lo, hi float32)

// quantSymNEON is quantSym1 over v[:n] into q, n a multiple of 4.
//
//go:noescape
func quantSymNEON(v *float32, q *int8, n int, inv float32)

// quantAsymNEON is quantAsym1 over v[:n] into q, n a multiple of 4.
//
//go:noescape
func quantAsymNEON(v *float32, q *int8, n int, inv, fzp float32)
