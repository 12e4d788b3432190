//go:build !purego

package ops

import "unsafe"

// add8Vec runs the vector kernel of a.path (AVX2, or AVX-512 on pathVNNI)
// over the longest prefix of whole 16-element steps and returns its length
// (0 on pathGo).
func add8Vec[T int8 | uint8](a *ewAdd8, x, y, o []T) int {
	n := len(o) / 16
	if a.path == pathGo || n == 0 {
		return 0
	}
	_, _ = x[16*n-1], y[16*n-1] // the assembly does no bounds checks
	px := (*byte)(unsafe.Pointer(&x[0]))
	py := (*byte)(unsafe.Pointer(&y[0]))
	po := (*byte)(unsafe.Pointer(&o[0]))
	switch {
	case a.path == pathVNNI && a.signed:
		add8AVX512S(px, py, po, n, &a.vec)
	case a.path == pathVNNI:
		add8AVX512U(px, py, po, n, &a.vec)
	case a.signed:
		add8AVX2S(px, py, po, n, &a.vec)
	default:
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

// add8AVX512S is add8AVX2S on 16 lanes of AVX-512.
//
//go:noescape
func add8AVX512S(x, y, o *byte, n int, k *add8Consts)

// add8AVX512U is add8AVX2U on 16 lanes of AVX-512.
//
//go:noescape
func add8AVX512U(x, y, o *byte, n int, k *add8Consts)
