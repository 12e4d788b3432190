//go:build !purego

package ops

// requant512 runs requantAVX512 over every channel: into out when it is
// not nil (len(out) channels, a clamp inside int8), else back into acc
// (len(acc) channels). It returns how many channels it did.
func requant512(out []int8, acc, add, mult []int32, shift []int, zp, lo, hi int32) int {
	n := len(acc)
	var po *int8
	if out != nil {
		n = len(out)
		if n > 0 {
			po = &out[0]
		}
	}
	if n == 0 {
		return 0
	}
	_, _, _, _ = acc[n-1], add[n-1], mult[n-1], shift[n-1] // the assembly does no bounds checks
	requantAVX512(&acc[0], &add[0], &mult[0], &shift[0], po, n, zp, lo, hi, 1, 0, 0)
	return n
}

// requantRowsI8 is requantize32 into int8 for rows rows of n channels,
// row r from acc[r*lda:] into out[r*ldo:], with the same add, mult and
// shift for every row: the four pixels of a CONV_2D step in one call
// instead of four passes through requantize32's dispatch (a tenth of an
// int8 Invoke on 8-32 channel layers). It reports false, doing nothing,
// where path p has no such kernel (not AVX-512, or a clamp beyond int8).
func requantRowsI8(p gemmPath, out []int8, ldo int, acc []int32, lda, rows, n int, add, mult []int32, shift []int, zp, lo, hi int32) bool {
	if p != pathVNNI || lo < -128 || hi > 127 || rows <= 0 || n <= 0 {
		return false
	}
	last := rows - 1
	_, _ = out[last*ldo+n-1], acc[last*lda+n-1] // the assembly does no bounds checks
	_, _, _ = add[n-1], mult[n-1], shift[n-1]
	requantAVX512(&acc[0], &add[0], &mult[0], &shift[0], &out[0], n, zp, lo, hi, rows, lda, ldo)
	return true
}

// requantAVX512 is requantAVX2 on 16 channels per step, the last step
// masked, so it does all n > 0 channels, for each of rows > 0 rows: acc
// rows lda elements apart, out rows ldo bytes apart.
//
//go:noescape
func requantAVX512(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32, rows, lda, ldo int)
