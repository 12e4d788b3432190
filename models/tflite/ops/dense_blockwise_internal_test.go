package ops

import "testing"

// TestBlockDotF32 checks the long-block path against LiteRT's float32
// accumulation: 16384 products of 1024 reach 2^24 exactly, and adding 1
// then rounds back to 2^24 (ties to even), where an int32 sum gives
// 2^24+1. Short blocks take the int32 sum, equal by the 2^24 bound.
func TestBlockDotF32(t *testing.T) {
	const n = 1<<14 + 1
	w, q := make([]byte, n), make([]int8, n)
	for i := range n - 1 {
		w[i], q[i] = 0xf8, -128 // -8 * -128 = 1024
	}
	w[n-1], q[n-1] = 1, 1
	acc, ksum := blockDotF32(w, q)
	if acc != 1<<24 || ksum != -8*(n-1)+1 {
		t.Fatalf("blockDotF32: acc %d ksum %d, want %d and %d", acc, ksum, 1<<24, -8*(n-1)+1)
	}
	st := &fcBlockwise{block: n}
	if a, k := st.blockDot(w, q); a != acc || k != ksum {
		t.Fatalf("blockDot of a %d-element block: %d %d, want the float32 path's %d %d", n, a, k, acc, ksum)
	}
	st.block = n - 1
	if a, k := st.blockDot(w[:n-1], q); a != 1<<24 || k != -8*(n-1) {
		t.Fatalf("blockDot of a %d-element block: %d %d, want %d %d", n-1, a, k, 1<<24, -8*(n-1))
	}
}
