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
	requantAVX512(&acc[0], &add[0], &mult[0], &shift[0], po, n, zp, lo, hi)
	return n
}

// requantAVX512 is requantAVX2 on 16 channels per step, the last step
// masked, so it does all n > 0 channels.
//
//go:noescape
func requantAVX512(acc, add, mult *int32, shift *int, out *int8, n int, zp, lo, hi int32)
