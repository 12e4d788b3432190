package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEwF32Paths: same-shape float ADD, SUB and MUL with a clamp give the
// portable loop's bits on every path this machine runs, lengths around
// the vector steps, with NaN, ±0, ±Inf and values on both bounds.
func TestEwF32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), 6, -1, 1e-40}
	bounds := [][2]float32{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, float32(math.Inf(1))}, {0, 6}, {-1, 1}}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 257} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()*4), float32(r.NormFloat64()*4)
			if r.IntN(4) == 0 {
				a[i] = special[r.IntN(len(special))]
			}
			if r.IntN(4) == 0 {
				b[i] = special[r.IntN(len(special))]
			}
		}
		for _, op := range []Op{OpAdd, OpSub, OpMul} {
			for _, lh := range bounds {
				want := make([]float32, n)
				ewF32SameOn(pathGo, op, want, a, b, lh[0], lh[1])
				for _, p := range gemmPaths() {
					got := make([]float32, n)
					ewF32SameOn(p, op, got, a, b, lh[0], lh[1])
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("path %v %s n=%d bounds %v: [%d] = %v (%v op %v), want %v", p, op, n, lh, i, got[i], a[i], b[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkEwF32 is a same-shape ADD with ReLU over 4096 floats per path.
func BenchmarkEwF32(b *testing.B) {
	x, y, o := make([]float32, 4096), make([]float32, 4096), make([]float32, 4096)
	for _, p := range gemmPaths() {
		b.Run(p.String(), func(b *testing.B) {
			for range b.N {
				ewF32SameOn(p, OpAdd, o, x, y, 0, float32(math.Inf(1)))
			}
		})
	}
}
