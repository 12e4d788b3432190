//go:build !purego

package ops

// ewF32Vec runs the AVX2 kernel over the first multiple of 16 elements
// and returns how many it did.
func ewF32Vec(kind int, o, a, b []float32, lo, hi float32) int {
	n := len(o) / 16
	if n == 0 {
		return 0
	}
	_, _, _ = o[16*n-1], a[16*n-1], b[16*n-1] // the assembly does no bounds checks
	ewF32AVX2(&o[0], &a[0], &b[0], n, kind, lo, hi)
	return 16 * n
}

// ewF32AVX2 sets o[i] = clamp(a[i] op b[i], lo, hi) for i < 16n, op by
// kind (ewF32Add, ewF32Sub, ewF32Mul).
//
//go:noescape
func ewF32AVX2(o, a, b *float32, n, kind int, lo, hi float32)
