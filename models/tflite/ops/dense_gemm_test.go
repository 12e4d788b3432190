package ops

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// gemmSizes are depths and channel counts around the vector widths (16
// int8, 8 float32 per step) and the 4-channel blocks, so each kernel meets
// its tails, plus the shapes of the MLPerf Tiny layers.
var gemmSizes = [][2]int{ // {k, rows}
	{1, 1}, {2, 3}, {3, 1}, {4, 1}, {5, 4}, {7, 4}, {8, 5}, {12, 16},
	{15, 8}, {16, 4}, {17, 7}, {19, 17}, {20, 20}, {27, 8}, {31, 9},
	{32, 12}, {33, 13}, {35, 28}, {36, 1}, {47, 2}, {64, 64}, {67, 19},
	{127, 10}, {128, 8}, {576, 64}, {640, 128},
}

func randGemmSizes(r *rand.Rand) [][2]int {
	out := append([][2]int(nil), gemmSizes...)
	for range 40 {
		out = append(out, [2]int{1 + r.IntN(300), 1 + r.IntN(40)})
	}
	return out
}

// TestGemmRowI8Paths runs the int8 kernel on every path this CPU has
// against the original interleaved-layout loop: results must be identical.
func TestGemmRowI8Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		filter := make([]int8, rows*k)
		a := make([]int8, k)
		for i := range filter {
			filter[i] = int8(r.IntN(256) - 128)
		}
		for i := range a {
			a[i] = int8(r.IntN(256) - 128)
		}
		// Extremes as well: -128*-128 pairs are where 16-bit tricks break,
		// and whole rows of extremes stress the +128 offset of VNNI.
		if k > 2 {
			a[0], a[1], filter[0], filter[1] = -128, -128, -128, -128
		}
		if rows > 2 {
			for i := range k {
				filter[k+i], filter[2*k+i] = -128, 127
			}
		}
		n := roundUp4(rows)
		old := make([]int8, n*k)
		packRows(old, filter, rows, k)
		want := make([]int32, n)
		gemmRow(a, old, want)

		packed := make([]int8, n*k)
		for _, p := range gemmPaths() {
			packRowsI8On(p, packed, filter, rows, k)
			got := make([]int32, n)
			for i := range got {
				got[i] = -1 // the kernel must store, not add
			}
			gemmRowI8On(p, a, packed, got)
			for o := 0; o < rows; o++ {
				if got[o] != want[o] {
					t.Fatalf("path %v k=%d rows=%d: channel %d = %d, want %d", p, k, rows, o, got[o], want[o])
				}
			}
		}
	}
}

// TestGemmRequantPaths runs a quantized layer (GEMM row, per-channel
// multipliers and shifts, zero points, clamp to int8) on every path
// against the portable one: the int8 outputs must be identical.
func TestGemmRequantPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		n := roundUp4(rows)
		filter, a := make([]int8, rows*k), make([]int8, k)
		for i := range filter {
			filter[i] = int8(r.IntN(256) - 128)
		}
		for i := range a {
			a[i] = int8(r.IntN(256) - 128)
		}
		add, mult, shift := make([]int32, n), make([]int32, n), make([]int, n)
		for o := range n {
			add[o] = r.Int32N(1<<16) - 1<<15
			mult[o] = 1<<30 + r.Int32N(1<<30)
			shift[o] = -12 + r.IntN(14)
		}
		var want []int8
		packed := make([]int8, n*k)
		for _, p := range gemmPaths() {
			packRowsI8On(p, packed, filter, rows, k)
			acc, out := make([]int32, n), make([]int8, rows)
			gemmRowI8On(p, a, packed, acc)
			requantize32On(p, out, acc, add, mult, shift, 5, -128, 127)
			if want == nil {
				want = out // pathGo comes first
				continue
			}
			for o := range out {
				if out[o] != want[o] {
					t.Fatalf("path %v k=%d rows=%d: channel %d = %d, want %d", p, k, rows, o, out[o], want[o])
				}
			}
		}
	}
}

// TestGemmRowF32Paths is TestGemmRowI8Paths for float32: the vector paths
// sum in another order, so results agree to rounding of the sum of
// absolute products.
func TestGemmRowF32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range randGemmSizes(r) {
		k, rows := sz[0], sz[1]
		filter := make([]float32, rows*k)
		a := make([]float32, k)
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
			got := make([]float32, n)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			gemmRowF32On(p, a, packed, got)
			for o := 0; o < rows; o++ {
				var want, mag float64
				for i := 0; i < k; i++ {
					v := float64(a[i]) * float64(filter[o*k+i])
					want += v
					mag += math.Abs(v)
				}
				if d := math.Abs(float64(got[o]) - want); !(d <= 1e-6*mag+1e-30) {
					t.Fatalf("path %v k=%d rows=%d: channel %d = %v, want %v (|diff| %g, scale %g)", p, k, rows, o, got[o], want, d, mag)
				}
			}
		}
	}
}

// TestPackRowsI8Layout checks the pair layout offsets cover every slot of
// a block once.
func TestPackRowsI8Layout(t *testing.T) {
	for k := 1; k < 20; k++ {
		seen := make([]bool, 4*k)
		for j := 0; j < 4; j++ {
			for i := 0; i < k; i++ {
				o := i8Index(i, j, k)
				if o < 0 || o >= 4*k || seen[o] {
					t.Fatalf("k=%d: depth %d channel %d maps to %d (dup or out of range)", k, i, j, o)
				}
				seen[o] = true
			}
		}
	}
}

func benchGemmI8(b *testing.B, p gemmPath, k, rows int) {
	n := roundUp4(rows)
	a, packed, acc := make([]int8, k), make([]int8, n*k), make([]int32, n)
	filter := make([]int8, rows*k)
	for i := range filter {
		filter[i] = int8(i*7 + 3)
	}
	packRowsI8On(p, packed, filter, rows, k)
	b.SetBytes(int64(n * k))
	for b.Loop() {
		gemmRowI8On(p, a, packed, acc)
	}
}

func benchGemmF32(b *testing.B, p gemmPath, k, rows int) {
	n := roundUp4(rows)
	a, packed, acc := make([]float32, k), make([]float32, n*k), make([]float32, n)
	b.SetBytes(int64(4 * n * k))
	for b.Loop() {
		gemmRowF32On(p, a, packed, acc)
	}
}

// BenchmarkGemmRow compares the paths on a kws_dscnn-sized row (k=576 =
// 3x3x64 patch, 64 channels) and a pointwise one (k=64).
func BenchmarkGemmRow(b *testing.B) {
	for _, p := range gemmPaths() {
		for _, sz := range [][2]int{{576, 64}, {64, 64}} {
			name := p.String() + "/k" + strconv.Itoa(sz[0])
			b.Run("i8/"+name, func(b *testing.B) { benchGemmI8(b, p, sz[0], sz[1]) })
			b.Run("f32/"+name, func(b *testing.B) { benchGemmF32(b, p, sz[0], sz[1]) })
		}
	}
}

// TestDwMACPaths runs the depthwise tap on every path against the
// portable one, over channel counts with tails and every int8 input
// offset the kernels accept at their extremes.
func TestDwMACPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 64, 100, 257} {
		for _, xo := range []int32{-127, 0, 37, 128, -128, 300} {
			x, f := make([]int8, n), make([]int8, n)
			base := make([]int32, n)
			for i := range x {
				x[i], f[i] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
				base[i] = r.Int32() >> 4
			}
			x[0], f[0] = -128, -128
			if n > 1 {
				x[1], f[1] = 127, -128
			}
			want := append([]int32(nil), base...)
			dwMACI8On(pathGo, want, x, f, xo)
			for _, p := range gemmPaths() {
				got := append([]int32(nil), base...)
				dwMACI8On(p, got, x, f, xo)
				for c := range got {
					if got[c] != want[c] {
						t.Fatalf("path %v n=%d xo=%d: channel %d = %d, want %d", p, n, xo, c, got[c], want[c])
					}
				}
			}
		}
	}
}

// TestRequantize32Exact holds the branch-free requantization to the
// reference MultiplyByQuantizedMultiplier bit for bit, on random values and
// the edges (zero, ±1, the int32 extremes, every shift TFLite produces).
func TestRequantize32Exact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	xs := []int32{0, 1, -1, 2, -2, 3, -3, math.MaxInt32, math.MinInt32, math.MinInt32 + 1, 1 << 30, -1 << 30, 12345, -12345, 7}
	qs := []int32{0, 1, math.MaxInt32, math.MinInt32, 1 << 30, 1<<30 + 1, 1518500250, 2147483000, 1 << 29}
	for range 40 {
		xs = append(xs, int32(r.Uint32()), int32(r.Uint32())>>r.IntN(31))
		qs = append(qs, int32(1<<30+r.IntN(1<<30)))
	}
	n := len(xs) * len(qs) // 95*49: vector steps and a tail on every path
	if n%4 == 0 {
		t.Fatalf("n = %d leaves no tail for the vector kernels", n)
	}
	acc, add, mult := make([]int32, n), make([]int32, n), make([]int32, n)
	shifts, got := make([]int, n), make([]int32, n)
	for shift := -31; shift <= 30; shift++ {
		for i := range n {
			// Split x between acc and add: their sum wraps like the kernels'.
			x := xs[i%len(xs)]
			acc[i] = int32(r.Uint32())
			add[i] = x - acc[i]
			mult[i], shifts[i] = qs[i/len(xs)], shift
		}
		for _, p := range gemmPaths() {
			scratch := append([]int32(nil), acc...)
			requantize32On(p, got, scratch, add, mult, shifts, 0, math.MinInt32, math.MaxInt32)
			for i := range n {
				if want := MultiplyByQuantizedMultiplier(xs[i%len(xs)], mult[i], shift); got[i] != want {
					t.Fatalf("path %v x=%d q=%d shift=%d: %d, want %d", p, xs[i%len(xs)], mult[i], shift, got[i], want)
				}
			}
			// And through a narrow output with zero point and clamp.
			out8 := make([]int8, n)
			copy(scratch, acc)
			requantize32On(p, out8, scratch, add, mult, shifts, -3, -100, 90)
			for i := range n {
				want := min(max(MultiplyByQuantizedMultiplier(xs[i%len(xs)], mult[i], shift)-3, -100), 90)
				if int32(out8[i]) != want {
					t.Fatalf("path %v int8 x=%d q=%d shift=%d: %d, want %d", p, xs[i%len(xs)], mult[i], shift, out8[i], want)
				}
			}
		}
	}
}
