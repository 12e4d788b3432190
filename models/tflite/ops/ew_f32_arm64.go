//go:build !purego

package ops

// ewF32Vec runs the NEON kernel over the first multiple of 8 elements and
// returns how many it did.
func ewF32Vec(kind int, o, a, b []float32, lo, hi float32) int {
	n := len(o) / 8
	if n == 0 {
		return 0
	}
	_, _, _ = o[8*n-1], a[8*n-1], b[8*n-1] // the assembly does no bounds checks
	ewF32NEON(&o[0], &a[0], &b[0], n, kind, lo, hi)
	return 8 * n
}

// ewF32NEON sets o[i] = clamp(a[i] op b[i], lo, hi) for i < 8n, op by
// kind (ewF32Add, ewF32Sub, ewF32Mul).
//
//go:noescape
func ewF32NEON(o, a, b *float32, n, kind int, lo, hi float32)
