package ops

import (
	"math/rand/v2"
	"testing"
)

// TestDwMACI16Paths: the int16x8 depthwise tap on every path this machine
// runs equals an int64 reference, for channel counts around the vector
// steps and the extreme products, and a window of dwInt16Taps32 taps of
// the largest product still sums exactly in int32.
func TestDwMACI16Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 257} {
		x, f := make([]int16, n), make([]int8, n)
		base := make([]int32, n)
		for i := range x {
			x[i], f[i] = int16(r.IntN(65536)-32768), int8(r.IntN(256)-128)
			base[i] = r.Int32() >> 8
		}
		x[0], f[0] = -32768, -128
		if n > 1 {
			x[1], f[1] = 32767, -128
		}
		for _, p := range gemmPaths() {
			got := append([]int32(nil), base...)
			dwMACI16On(p, got, x, f)
			for c := range got {
				if want := int64(base[c]) + int64(x[c])*int64(f[c]); int64(got[c]) != want {
					t.Fatalf("path %v n=%d: channel %d = %d, want %d", p, n, c, got[c], want)
				}
			}
		}
	}
	for _, p := range gemmPaths() {
		for _, sign := range []int16{-32768, 32767} {
			x, f := make([]int16, 48), make([]int8, 48)
			for i := range x {
				x[i], f[i] = sign, -128
			}
			acc := make([]int32, 48)
			for range dwInt16Taps32 {
				dwMACI16On(p, acc, x, f)
			}
			want := int64(dwInt16Taps32) * int64(sign) * -128
			if int64(acc[0]) != want || int64(acc[47]) != want {
				t.Fatalf("path %v: %d taps of %d*-128 sum to %d and %d, want %d", p, dwInt16Taps32, sign, acc[0], acc[47], want)
			}
		}
	}
}

// BenchmarkDwMACI16 is one tap over 128 channels on every path.
func BenchmarkDwMACI16(b *testing.B) {
	x, f, acc := make([]int16, 128), make([]int8, 128), make([]int32, 128)
	for _, p := range gemmPaths() {
		b.Run(p.String(), func(b *testing.B) {
			for range b.N {
				dwMACI16On(p, acc, x, f)
			}
		})
	}
}
