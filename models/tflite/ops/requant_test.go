package ops

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// requantCase is one random per-channel requantization problem: every
// channel has its own multiplier (extremes included) and shift in -31..30.
type requantCase struct {
	acc, add, mult []int32
	shift          []int
}

func newRequantCase(r *rand.Rand, n int) requantCase {
	qs := []int32{0, 1, math.MaxInt32, math.MinInt32, 1 << 30, 1<<30 + 1, math.MinInt32 + 1, -1 << 30}
	xs := []int32{0, 1, -1, math.MaxInt32, math.MinInt32, math.MinInt32 + 1, 1 << 30, -1 << 30}
	c := requantCase{make([]int32, n), make([]int32, n), make([]int32, n), make([]int, n)}
	for i := range n {
		switch r.IntN(4) {
		case 0: // the edges, split between acc and add so the sum wraps
			x := xs[r.IntN(len(xs))]
			c.acc[i] = int32(r.Uint32())
			c.add[i] = x - c.acc[i]
		case 1: // small accumulators, as in real layers
			c.acc[i] = r.Int32N(1<<17) - 1<<16
			c.add[i] = r.Int32N(1<<12) - 1<<11
		default:
			c.acc[i] = int32(r.Uint32()) >> r.IntN(32)
			c.add[i] = int32(r.Uint32()) >> r.IntN(32)
		}
		if r.IntN(4) == 0 {
			c.mult[i] = qs[r.IntN(len(qs))]
		} else {
			c.mult[i] = 1<<30 + r.Int32N(1<<30) // TFLite's quantized multipliers
		}
		c.shift[i] = -31 + r.IntN(62)
	}
	return c
}

// requantOnEveryPath runs requantize32On for output type T on every path
// this CPU has and fails on any channel that differs from pathGo.
func requantOnEveryPath[T ~int8 | ~uint8 | ~int16 | ~int32](t *testing.T, c requantCase, zp, lo, hi int32) {
	t.Helper()
	n := len(c.acc)
	var want []T
	for _, p := range gemmPaths() {
		got := make([]T, n)
		scratch := append([]int32(nil), c.acc...)
		requantize32On(p, got, scratch, c.add, c.mult, c.shift, zp, lo, hi)
		if want == nil {
			want = got // pathGo comes first
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%T path %v n=%d zp=%d clamp [%d, %d]: channel %d (acc %d add %d q %d shift %d) = %d, want %d",
					got, p, n, zp, lo, hi, i, c.acc[i], c.add[i], c.mult[i], c.shift[i], got[i], want[i])
			}
		}
	}
}

// TestRequantize32Paths holds every vector requantization (AVX2, the
// 16-lane AVX-512 form with its masked last step, NEON) to the portable
// loop on random per-channel multipliers and shifts, lengths around every
// step size, and each output type with zero points and clamps.
func TestRequantize32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 21))
	for n := 1; n <= 70; n++ {
		c := newRequantCase(r, n)
		zp := r.Int32N(256) - 128
		lo := -128 + r.Int32N(100)
		hi := lo + r.Int32N(127-lo+1)
		requantOnEveryPath[int8](t, c, zp, lo, hi)
		requantOnEveryPath[int8](t, c, zp, -128, 127)
		// A clamp wider than int8 wraps in the conversion, as the
		// portable loop does, instead of saturating.
		requantOnEveryPath[int8](t, c, zp, -300, 300)
		requantOnEveryPath[uint8](t, c, zp+128, 0, 255)
		requantOnEveryPath[int16](t, c, 0, -32768, 32767)
		requantOnEveryPath[int32](t, c, 0, math.MinInt32, math.MaxInt32)
	}
	// Sub-slices at odd offsets, as the kernels call it per output group.
	c := newRequantCase(r, 301)
	for off := range 5 {
		sub := requantCase{c.acc[off:], c.add[off:], c.mult[off:], c.shift[off:]}
		requantOnEveryPath[int8](t, sub, -5, -128, 127)
	}
}

// BenchmarkRequantize32 measures one int8 requantization of 8 to 256
// channels (the per-pixel epilogue of a conv layer) on each path.
func BenchmarkRequantize32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{8, 16, 64, 128, 256} {
		c := newRequantCase(r, n)
		for i := range n {
			c.mult[i] = 1<<30 + r.Int32N(1<<30)
			c.shift[i] = -12 + r.IntN(12)
		}
		out, scratch := make([]int8, n), make([]int32, n)
		for _, p := range gemmPaths() {
			b.Run(p.String()+"/"+strconv.Itoa(n), func(b *testing.B) {
				for b.Loop() {
					copy(scratch, c.acc)
					requantize32On(p, out, scratch, c.add, c.mult, c.shift, 3, -128, 127)
				}
			})
		}
	}
}

// TestRequantRowsI8 holds the many-row requantization (the four pixels of
// a CONV_2D step) to the portable loop row by row, on every path that has
// it: rows of odd lengths at odd strides, with the bytes between output
// rows (other groups' channels) left untouched and acc left as it was.
func TestRequantRowsI8(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 4))
	ran := false
	for n := 1; n <= 40; n++ {
		for rows := 1; rows <= 4; rows++ {
			lda, ldo := n+r.IntN(5), n+r.IntN(7)
			c := newRequantCase(r, (rows-1)*lda+n)
			zp := r.Int32N(256) - 128
			lo := -128 + r.Int32N(100)
			hi := lo + r.Int32N(127-lo+1)
			add, mult, shift := c.add[:n], c.mult[:n], c.shift[:n]
			want := make([]int8, (rows-1)*ldo+n)
			for i := range want {
				want[i] = int8(i*37 + 5) // sentinels between rows
			}
			for i := 0; i < rows; i++ {
				scratch := append([]int32(nil), c.acc[i*lda:i*lda+n]...)
				requantize32On(pathGo, want[i*ldo:i*ldo+n], scratch, add, mult, shift, zp, lo, hi)
			}
			for _, p := range gemmPaths() {
				got := make([]int8, len(want))
				for i := range got {
					got[i] = int8(i*37 + 5)
				}
				acc := append([]int32(nil), c.acc...)
				if !requantRowsI8(p, got, ldo, acc, lda, rows, n, add, mult, shift, zp, lo, hi) {
					continue
				}
				ran = true
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("path %v n=%d rows=%d lda=%d ldo=%d: out[%d] = %d, want %d", p, n, rows, lda, ldo, i, got[i], want[i])
					}
				}
				for i := range acc {
					if acc[i] != c.acc[i] {
						t.Fatalf("path %v n=%d rows=%d: acc[%d] changed to %d from %d", p, n, rows, i, acc[i], c.acc[i])
					}
				}
			}
		}
	}
	if !ran && bestPath() == pathVNNI {
		t.Fatal("no path ran the row kernel on a VNNI machine")
	}
	// A clamp beyond int8 and empty requests are declined, not run.
	c := newRequantCase(r, 8)
	out := make([]int8, 8)
	for _, p := range gemmPaths() {
		if requantRowsI8(p, out, 8, c.acc, 8, 1, 8, c.add, c.mult, c.shift, 0, -300, 300) ||
			requantRowsI8(p, out, 8, c.acc, 8, 0, 8, c.add, c.mult, c.shift, 0, -128, 127) {
			t.Fatalf("path %v took a request it cannot do exactly", p)
		}
	}
}

// BenchmarkRequantRowsI8 compares one call for the four pixels of a conv
// step with four requantize32 calls, on 8 to 64 channels.
func BenchmarkRequantRowsI8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{8, 16, 32, 64} {
		c := newRequantCase(r, 4*n)
		for i := range c.mult {
			c.mult[i] = 1<<30 + r.Int32N(1<<30)
			c.shift[i] = -12 + r.IntN(12)
		}
		out := make([]int8, 4*n)
		p := bestPath()
		b.Run("rows/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if !requantRowsI8(p, out, n, c.acc, n, 4, n, c.add, c.mult, c.shift, 3, -128, 127) {
					b.Skip("no row kernel on this CPU")
				}
			}
		})
		b.Run("each/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				for i := 0; i < 4; i++ {
					requantize32On(p, out[i*n:(i+1)*n], c.acc[i*n:(i+1)*n], c.add, c.mult, c.shift, 3, -128, 127)
				}
			}
		})
	}
}
