package ops

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// splitDepth cuts [0, k) into random parts whose bounds are multiples of
// step (k is one), empty parts included.
func splitDepth(r *rand.Rand, k, step int) [][2]int {
	var parts [][2]int
	for d := 0; d < k; {
		kk := min(step*r.IntN(k/step+2), k-d)
		parts = append(parts, [2]int{d, kk})
		d += kk
	}
	return parts
}

// partRows lays depths [d, d+kk) of the four rows of patches (rows k
// apart) out lda apart, with bytes between them that must not be read.
func partRows[T int8 | float32](r *rand.Rand, patches []T, k, d, kk int, junk T) ([]T, int) {
	lda := kk + r.IntN(5)
	a := make([]T, 3*lda+kk)
	for i := range a {
		a[i] = junk
	}
	for row := range 4 {
		copy(a[row*lda:row*lda+kk], patches[row*k+d:row*k+d+kk])
	}
	return a, lda
}

// TestGemm4I8Paths runs the four-row int8 kernel on every path this CPU
// has, a patch cut into parts (as CONV_2D reads a window filter row by
// filter row), against the one-row reference loop on each row: results
// must be identical.
func TestGemm4I8Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range randGemmSizes(r) {
		k, rows := roundUp4(sz[0]), sz[1]
		filter := make([]int8, rows*k)
		patches := make([]int8, 4*k)
		for i := range filter {
			filter[i] = int8(r.IntN(256) - 128)
		}
		for i := range patches {
			patches[i] = int8(r.IntN(256) - 128)
		}
		// Extremes: a row of -128 against -128 and 127 channels.
		for i := range k {
			patches[2*k+i] = -128
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
			gemmRow(patches[row*k:(row+1)*k], old, want[row*n:(row+1)*n])
		}
		packed := make([]int8, n*k)
		for _, p := range gemmPaths() {
			packRowsI8On(p, packed, filter, rows, k)
			ldc, off := n+r.IntN(9), r.IntN(3)
			got := make([]int32, off+3*ldc+n+2)
			for i := range got {
				got[i] = -1 // the first part must store, not add; gaps stay
			}
			parts := splitDepth(r, k, 4)
			for i, pt := range parts {
				a, lda := partRows(r, patches, k, pt[0], pt[1], 99)
				gemm4I8Part(p, a, lda, packed, k, pt[0], pt[1], got[off:], ldc, i > 0)
			}
			for i, v := range got {
				row, o := (i-off)/ldc, (i-off)%ldc
				if i < off || row > 3 || o >= n {
					if v != -1 {
						t.Fatalf("path %v k=%d rows=%d ldc=%d: wrote %d at %d, outside the rows", p, k, rows, ldc, v, i)
					}
					continue
				}
				if o < rows && v != want[row*n+o] {
					t.Fatalf("path %v k=%d rows=%d parts %v: row %d channel %d = %d, want %d", p, k, rows, parts, row, o, v, want[row*n+o])
				}
			}
		}
	}
}

// TestGemm4F32Paths is TestGemm4I8Paths for float32 (parts of any
// length), within the rounding of the sum of absolute products.
func TestGemm4F32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		filter := make([]float32, rows*k)
		patches := make([]float32, 4*k)
		for i := range filter {
			filter[i] = float32(r.NormFloat64())
		}
		for i := range patches {
			patches[i] = float32(r.NormFloat64())
		}
		n := roundUp4(rows)
		packed := make([]float32, n*k)
		packRows(packed, filter, rows, k)
		for _, p := range gemmPaths() {
			ldc, off := n+r.IntN(9), r.IntN(3)
			got := make([]float32, off+3*ldc+n+2)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			parts := splitDepth(r, k, 1)
			for i, pt := range parts {
				a, lda := partRows(r, patches, k, pt[0], pt[1], float32(math.NaN()))
				gemm4F32Part(p, a, lda, packed, k, pt[0], pt[1], got[off:], ldc, i > 0)
			}
			for i, v := range got {
				if row, o := (i-off)/ldc, (i-off)%ldc; (i < off || row > 3 || o >= n) && v == v {
					t.Fatalf("path %v k=%d rows=%d ldc=%d: wrote %v at %d, outside the rows", p, k, rows, ldc, v, i)
				}
			}
			for row := range 4 {
				for o := 0; o < rows; o++ {
					var want, mag float64
					for i := 0; i < k; i++ {
						v := float64(patches[row*k+i]) * float64(filter[o*k+i])
						want += v
						mag += math.Abs(v)
					}
					if d := math.Abs(float64(got[off+row*ldc+o]) - want); !(d <= 1e-6*mag+1e-30) {
						t.Fatalf("path %v k=%d rows=%d parts %v: row %d channel %d = %v, want %v (|diff| %g, scale %g)", p, k, rows, parts, row, o, got[off+row*ldc+o], want, d, mag)
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
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 16, 20, 31, 64, 257} {
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

// BenchmarkGemm4 is BenchmarkGemmRow for four rows: a 3x3x64 patch and a
// pointwise row against 64 channels.
func BenchmarkGemm4(b *testing.B) {
	for _, p := range gemmPaths() {
		for _, k := range []int{576, 64} {
			name := p.String() + "/k" + strconv.Itoa(k)
			n := 64
			ai, wi, acci := make([]int8, 4*k), make([]int8, n*k), make([]int32, 4*n)
			af, wf, accf := make([]float32, 4*k), make([]float32, n*k), make([]float32, 4*n)
			b.Run("i8/"+name, func(b *testing.B) {
				for b.Loop() {
					gemm4I8Part(p, ai, k, wi, k, 0, k, acci, n, false)
				}
			})
			b.Run("f32/"+name, func(b *testing.B) {
				for b.Loop() {
					gemm4F32Part(p, af, k, wf, k, 0, k, accf, n, false)
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
