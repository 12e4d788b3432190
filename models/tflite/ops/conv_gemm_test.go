package ops

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestGemm4I8Paths runs the four-row int8 kernel on every path this CPU
// has against the one-row reference loop on each row: results must be
// identical. Rows sit lda apart with bytes between them that must not be
// read into the sums.
func TestGemm4I8Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		lda := k + r.IntN(5)
		filter := make([]int8, rows*k)
		a := make([]int8, 3*lda+k)
		for i := range filter {
			filter[i] = int8(r.IntN(256) - 128)
		}
		for i := range a {
			a[i] = int8(r.IntN(256) - 128)
		}
		// Extremes: a row of -128 against -128 and 127 channels.
		for i := range k {
			a[2*lda+i] = -128
		}
		if rows > 2 {
			for i := range k {
				filter[k+i], filter[2*k+i] = -128, 127
			}
		}
		n := roundUp4(rows)
		old := make([]int8, n*k)
		packRows(old, filter, rows, k)
		want := make([]int32, 4*n)
		for row := range 4 {
			gemmRow(a[row*lda:row*lda+k], old, want[row*n:(row+1)*n])
		}
		packed := make([]int8, n*k)
		for _, p := range gemmPaths() {
			packRowsI8On(p, packed, filter, rows, k)
			got := make([]int32, 4*n)
			for i := range got {
				got[i] = -1 // the kernel must store, not add
			}
			gemm4I8On(p, a, lda, k, packed, got)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("path %v k=%d rows=%d lda=%d: row %d channel %d = %d, want %d", p, k, rows, lda, i/n, i%n, got[i], want[i])
				}
			}
		}
	}
}

// TestGemm4F32Paths is TestGemm4I8Paths for float32, within the rounding
// of the sum of absolute products.
func TestGemm4F32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		lda := k + r.IntN(5)
		filter := make([]float32, rows*k)
		a := make([]float32, 3*lda+k)
		for i := range filter {
			filter[i] = float32(r.NormFloat64())
		}
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		n := roundUp4(rows)
		packed := make([]float32, n*k)
		packRows(packed, filter, rows, k)
		for _, p := range gemmPaths() {
			got := make([]float32, 4*n)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			gemm4F32On(p, a, lda, k, packed, got)
			for row := range 4 {
				for o := 0; o < rows; o++ {
					var want, mag float64
					for i := 0; i < k; i++ {
						v := float64(a[row*lda+i]) * float64(filter[o*k+i])
						want += v
						mag += math.Abs(v)
					}
					if d := math.Abs(float64(got[row*n+o]) - want); !(d <= 1e-6*mag+1e-30) {
						t.Fatalf("path %v k=%d rows=%d: row %d channel %d = %v, want %v (|diff| %g, scale %g)", p, k, rows, row, o, got[row*n+o], want, d, mag)
					}
				}
			}
		}
	}
}

// TestBiasActF32Paths holds the vector float epilogue to Go's
// min(max(x+bias, lo), hi) bit for bit, NaN, signed zeros and infinities
// included, with and without bias, for every activation range.
func TestBiasActF32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	special := []float32{nan, 0, negZero, inf, -inf, 1, -1, 6, -6, 7, 0.5, -0.5, math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45}
	ranges := [][2]float32{{-inf, inf}, {0, inf}, {0, 6}, {-1, 1}, {negZero, 6}, {0, negZero}, {-inf, 0}}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 64, 257} {
		acc, bias := make([]float32, n), make([]float32, n)
		for i := range acc {
			acc[i] = special[r.IntN(len(special))]
			bias[i] = special[r.IntN(len(special))]
			if r.IntN(3) == 0 {
				acc[i] = float32(r.NormFloat64() * 4)
			}
			if r.IntN(2) == 0 {
				bias[i] = float32(r.NormFloat64())
			}
		}
		for _, lh := range ranges {
			for _, b := range [][]float32{nil, bias} {
				want := make([]float32, n)
				biasActF32On(pathGo, want, acc, b, lh[0], lh[1])
				for _, p := range gemmPaths() {
					got := make([]float32, n)
					biasActF32On(p, got, acc, b, lh[0], lh[1])
					for i := range got {
						g, w := got[i], want[i]
						if g != g && w != w {
							continue
						}
						if math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("path %v n=%d range %v bias %v: out[%d] = %v (%#x) for acc %v bias %v, want %v (%#x)",
								p, n, lh, b != nil, i, g, math.Float32bits(g), acc[i], bias[i], w, math.Float32bits(w))
						}
					}
				}
			}
		}
	}
}

// BenchmarkGemm4 compares four rows on the four-row kernel with four
// single-row calls, on a 3x3x64 patch and a pointwise row (64 channels).
func BenchmarkGemm4(b *testing.B) {
	for _, p := range gemmPaths() {
		for _, k := range []int{576, 64} {
			name := p.String() + "/k" + strconv.Itoa(k)
			n := 64
			ai, wi, acci := make([]int8, 4*k), make([]int8, n*k), make([]int32, 4*n)
			af, wf, accf := make([]float32, 4*k), make([]float32, n*k), make([]float32, 4*n)
			b.Run("i8/"+name, func(b *testing.B) {
				for b.Loop() {
					gemm4I8On(p, ai, k, k, wi, acci)
				}
			})
			b.Run("f32/"+name, func(b *testing.B) {
				for b.Loop() {
					gemm4F32On(p, af, k, k, wf, accf)
				}
			})
		}
	}
}

func BenchmarkBiasActF32(b *testing.B) {
	acc, bias, out := make([]float32, 96), make([]float32, 96), make([]float32, 96)
	for _, p := range gemmPaths() {
		b.Run(p.String(), func(b *testing.B) {
			for b.Loop() {
				biasActF32On(p, out, acc, bias, 0, 6)
			}
		})
	}
}
