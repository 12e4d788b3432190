//go:build !purego

package ops

import "unsafe"

// add8Vec runs the AVX2 kernel of ewAdd8Rows over the longest prefix of
// whole 16-element steps and returns its length (0 on pathGo); the AVX-512
// path runs it too.
func add8Vec[T int8 | uint8](a *ewAdd8, x, y, o []T) int {
	n := len(o) / 16
	if a.path == pathGo || n == 0 {
		return 0
	}
	_, _ = x[16*n-1], y[16*n-1] // the assembly does no bounds checks
	px := (*byte)(unsafe.Pointer(&x[0]))
	py := (*byte)(unsafe.Pointer(&y[0]))
	po := (*byte)(unsafe.Pointer(&o[0]))
	if a.signed {
		add8AVX2S(px, py, po, n, &a.vec)
	} else {
		add8AVX2U(px, py, po, n, &a.vec)
	}
	return 16 * n
}

// add8AVX2S computes 16n int8 results of the same-shape quantized ADD/SUB
// from int8 codes x and y with the constants k.
//
//go:noescape
func add8AVX2S(x, y, o *byte, n int, k *add8Consts)

// add8AVX2U is add8AVX2S for uint8 codes.
//
//go:noescape
func add8AVX2U(x, y, o *byte, n int, k *add8Consts)
