//go:build !purego

package ops

import "unsafe"

// add8Vec runs the NEON kernel (on pathNEON and pathSDOT alike) over the
// longest prefix of whole 8-element steps and returns its length (0 on
// pathGo).
func add8Vec[T int8 | uint8](a *ewAdd8, x, y, o []T) int {
	n := len(o) / 8
	if a.path == pathGo || n == 0 {
		return 0
	}
	_, _ = x[8*n-1], y[8*n-1] // the assembly does no bounds checks
	px := (*byte)(unsafe.Pointer(&x[0]))
	py := (*byte)(unsafe.Pointer(&y[0]))
	po := (*byte)(unsafe.Pointer(&o[0]))
	if a.signed {
		add8NEONS(px, py, po, n, &a.vec)
	} else {
		add8NEONU(px, py, po, n, &a.vec)
	}
	return 8 * n
}

// add8NEONS computes 8n int8 results of the same-shape quantized ADD/SUB
// from int8 codes x and y with the constants k.
//
//go:noescape
func add8NEONS(x, y, o *byte, n int, k *add8Consts)

// add8NEONU is add8NEONS for uint8 codes.
//
//go:noescape
func add8NEONU(x, y, o *byte, n int, k *add8Consts)
