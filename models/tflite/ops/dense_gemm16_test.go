package ops

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestGemmRow16Paths runs the int16 GEMM on every path this CPU has
// against the generic int64 loop of the plain layout, for int8 weights,
// small int16 weights (a short chunk) and full int16 weights (portable
// only): the sums must be identical.
func TestGemmRow16Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 8))
	sizes := append(randGemmSizes(r), [2]int{1024, 64}, [2]int{1000, 5}, [2]int{4111, 9})
	for _, wRange := range []int{256, 2 * 4095, 65536} {
		for _, sz := range sizes {
			k, rows := sz[0], sz[1]
			filter := make([]int16, rows*k)
			a := make([]int16, k)
			for i := range filter {
				filter[i] = int16(r.IntN(wRange) - wRange/2)
			}
			for i := range a {
				a[i] = int16(r.IntN(65536) - 32768)
			}
			// Extremes: a whole row of -32768 against weights at the
			// bottom and top of their range overflows an int32 lane
			// unless the chunks are flushed (k=1000: 2^22 per product).
			lo, hi := int16(-wRange/2), int16(wRange/2-1)
			if k > 200 {
				for i := range a {
					a[i] = -32768
				}
			}
			if rows > 2 {
				for i := range k {
					filter[k+i], filter[2*k+i] = lo, hi
				}
			}
			testGemm16(t, "int16 w"+strconv.Itoa(wRange), a, filter, filter, rows, k)
			if wRange == 256 {
				w8 := make([]int8, len(filter))
				for i, v := range filter {
					w8[i] = int8(v)
				}
				testGemm16(t, "int8 w", a, filter, w8, rows, k)
			}
		}
	}
}

// testGemm16 checks gemmRow16On with filter w (the same values as the
// int16 filter) against the generic loop on filter.
func testGemm16[W int8 | int16](t *testing.T, name string, a, filter []int16, w []W, rows, k int) {
	t.Helper()
	n := roundUp4(rows)
	old := make([]int32, n*k)
	packRows(old, filter, rows, k)
	want := make([]int64, n)
	gemmRow(a, old, want)

	packed := make([]W, n*k)
	wMax := packPairs16(packed, w, rows, k, k, 1)
	for _, p := range gemmPaths() {
		got := make([]int64, n)
		for i := range got {
			got[i] = -1 // the kernel must store, not add
		}
		gemmRow16On(p, a, packed, got, wMax)
		for o := 0; o < rows; o++ {
			if got[o] != want[o] {
				t.Fatalf("%s path %v k=%d rows=%d: channel %d = %d, want %d", name, p, k, rows, o, got[o], want[o])
			}
		}
	}
}

// TestPackPairs16Strides checks that a [K][N] source (rs 1, ds N) packs as
// its transpose does row-major.
func TestPackPairs16Strides(t *testing.T) {
	const k, nc = 7, 6
	src := make([]int8, k*nc) // [K][N]
	tr := make([]int8, k*nc)  // [N][K]
	for i := range k {
		for j := range nc {
			src[i*nc+j] = int8(i*nc + j - 20)
			tr[j*k+i] = src[i*nc+j]
		}
	}
	a, b := make([]int8, roundUp4(nc)*k), make([]int8, roundUp4(nc)*k)
	wa, wb := packPairs16(a, src, nc, k, 1, nc), packPairs16(b, tr, nc, k, k, 1)
	if wa != wb || wa != 21 {
		t.Fatalf("wMax %d and %d, want 21", wa, wb)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("element %d: %d, want %d", i, a[i], b[i])
		}
	}
}

// BenchmarkGemmRow16 times one int16x8 row (k=1024, 64 channels) per path.
func BenchmarkGemmRow16(b *testing.B) {
	const k, rows = 1024, 64
	r := rand.New(rand.NewPCG(3, 4))
	filter := make([]int8, rows*k)
	a := make([]int16, k)
	for i := range filter {
		filter[i] = int8(r.IntN(256) - 128)
	}
	for i := range a {
		a[i] = int16(r.IntN(65536) - 32768)
	}
	packed := make([]int8, rows*k)
	wMax := packPairs16(packed, filter, rows, k, k, 1)
	acc := make([]int64, rows)
	for _, p := range gemmPaths() {
		b.Run(p.String(), func(b *testing.B) {
			for b.Loop() {
				gemmRow16On(p, a, packed, acc, wMax)
			}
		})
	}
	wide := make([]int32, rows*k)
	packRows(wide, filter, rows, k)
	b.Run("generic", func(b *testing.B) { // the loop the int16 ops ran before
		for b.Loop() {
			gemmRow(a, wide, acc)
		}
	})
}

// TestPackRhsI8 checks BATCH_MATMUL's strided int8 packing against
// packRowsI8On of the transposed rows, for every path's layout.
func TestPackRhsI8(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, sz := range randGemmSizes(r) {
		k, nc := sz[0], sz[1]
		src := make([]int8, k*nc) // [K][N]
		tr := make([]int8, k*nc)  // [N][K]
		for i := range k {
			for j := range nc {
				v := int8(r.IntN(256) - 128)
				src[i*nc+j], tr[j*k+i] = v, v
			}
		}
		n := roundUp4(nc) * k
		for _, p := range gemmPaths() {
			want, got, gotT := make([]int8, n), make([]int8, n), make([]int8, n)
			packRowsI8On(p, want, tr, nc, k)
			packStrided(p, got, src, nc, k, k, k, 1, nc)
			packStrided(p, gotT, tr, nc, k, k, k, k, 1)
			for i := range want {
				if got[i] != want[i] || gotT[i] != want[i] {
					t.Fatalf("path %v k=%d n=%d: element %d = %d / %d, want %d", p, k, nc, i, got[i], gotT[i], want[i])
				}
			}
		}
	}
}
