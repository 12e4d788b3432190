package ops

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// quantVector fills a vector of n floats of one flavour: plain random
// values, values whose scaled product is an exact half (k+0.5, with the
// range pinned so inv is 1 for both quantizers), or random values salted
// with ±0, ±Inf, NaN, huge, tiny and subnormal numbers.
func quantVector(r *rand.Rand, n int, flavour string) []float32 {
	v := make([]float32, n)
	specials := []float32{
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 3e37, -1e30,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, 0.49999997, -0.5,
	}
	for i := range v {
		switch flavour {
		case "random":
			v[i] = float32(r.NormFloat64() * 3)
		case "halves":
			k := float32(r.IntN(255) - 128)
			switch r.IntN(4) {
			case 0:
				v[i] = k + 0.5
			case 1:
				v[i] = k - 0.49999997
			default:
				v[i] = k
			}
			v[i] = min(max(v[i], -126.5), 126.5)
		case "specials":
			if r.IntN(3) == 0 {
				v[i] = specials[r.IntN(len(specials))]
			} else {
				v[i] = float32(r.NormFloat64())
			}
		case "zeros":
			v[i] = float32(math.Copysign(0, float64(r.IntN(2)-1)))
		case "tiny": // max|v| subnormal: 127/r overflows to +Inf
			v[i] = float32(r.IntN(5)-2) * math.SmallestNonzeroFloat32
		}
	}
	if flavour == "halves" && n >= 2 {
		// max|v| = 127 makes the symmetric inv exactly 1; the caller adds
		// a -128 for the asymmetric range [-128, 127] (scale 1, zp 0).
		v[r.IntN(n)] = 127
	}
	return v
}

// checkQuantPaths compares both quantizers on every path with the
// portable loops over v, bit for bit.
func checkQuantPaths(t *testing.T, v []float32, what string) {
	t.Helper()
	n := len(v)
	wantSym, wantAsym := make([]int8, n), make([]int8, n)
	wantS := symmetricQuantizeOn(pathGo, v, wantSym)
	wantAS, wantZP := asymmetricQuantizeOn(pathGo, v, wantAsym)
	q := make([]int8, n+1) // q[n] is a canary: nothing writes past len(v)
	for _, p := range gemmPaths() {
		for i := range q {
			q[i] = 99
		}
		s := symmetricQuantizeOn(p, v, q)
		if math.Float32bits(s) != math.Float32bits(wantS) || !slices.Equal(q[:n], wantSym) || q[n] != 99 {
			t.Fatalf("%s: symmetric on %v: scale %v q %v, portable %v %v (v %v)", what, p, s, q, wantS, wantSym, v)
		}
		for i := range q {
			q[i] = 99
		}
		as, zp := asymmetricQuantizeOn(p, v, q)
		if math.Float32bits(as) != math.Float32bits(wantAS) || zp != wantZP || !slices.Equal(q[:n], wantAsym) || q[n] != 99 {
			t.Fatalf("%s: asymmetric on %v: scale %v zp %d q %v, portable %v %d %v (v %v)", what, p, as, zp, q, wantAS, wantZP, wantAsym, v)
		}
	}
}

// TestQuantizePaths runs symmetricQuantize and asymmetricQuantize on every
// path this CPU has against the portable loops: scales, zero points and
// every int8 must be identical, for lengths 0..100 and a few long ones
// around the 32- and 8-element steps.
func TestQuantizePaths(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	lengths := []int{255, 256, 257, 1023, 8000, 8007}
	for n := range 101 {
		lengths = append(lengths, n)
	}
	for _, flavour := range []string{"random", "halves", "specials", "zeros", "tiny"} {
		for _, n := range lengths {
			for rep := range 3 {
				v := quantVector(r, n, flavour)
				checkQuantPaths(t, v, fmt.Sprintf("%s n=%d #%d", flavour, n, rep))
				if flavour == "halves" && n >= 2 {
					v[(r.IntN(n-1)+1+slices.Index(v, 127))%n] = -128 // asymmetric scale 1, zp 0
					checkQuantPaths(t, v, fmt.Sprintf("%s+-128 n=%d #%d", flavour, n, rep))
				}
			}
		}
	}
	// One special at each position of a long vector reaches every lane
	// and every step of the kernels.
	for _, s := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32} {
		for at := range 77 {
			v := quantVector(r, 77, "random")
			v[at] = s
			checkQuantPaths(t, v, fmt.Sprintf("%v at %d", s, at))
		}
	}
}

// TestQuantizeRoundsHalfAway pins the rounding on every path: with range
// 127 (inv exactly 1) halves go away from zero, as std::round, not to even.
func TestQuantizeRoundsHalfAway(t *testing.T) {
	v := []float32{127, 0.5, -0.5, 1.5, -2.5, 0.49999997, -0.49999997, 126.5, -126.5, 2.5000002}
	want := []int8{127, 1, -1, 2, -3, 0, 0, 127, -127, 3}
	v = append(v, v...) // 20 elements: the 8-element vector step and the tail
	want = append(want, want...)
	for _, p := range gemmPaths() {
		q := make([]int8, len(v))
		if s := symmetricQuantizeOn(p, v, q); s != 1 || !slices.Equal(q, want) {
			t.Errorf("symmetric on %v: scale %v q %v, want 1 %v", p, s, q, want)
		}
	}
}

// TestQuantizeNonFinite pins today's outputs for ±Inf and NaN input
// (TFLite leaves them undefined). With an Inf the scale is +Inf and inv 0:
// finite inputs give 0, the Inf itself Inf*0 = NaN; a NaN makes every
// product NaN. Go converts a NaN to int32 as MinInt32 on amd64 (clamped
// to -127) and as 0 on arm64.
func TestQuantizeNonFinite(t *testing.T) {
	var nanQ int8
	switch runtime.GOARCH {
	case "amd64":
		nanQ = -127
	case "arm64":
		nanQ = 0
	default:
		t.Skip("the int32 conversion of NaN is architecture dependent; TestQuantizePaths covers the rest")
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	base := []float32{1, -2, 3, -4, 5, -6, 7, -8, 9}
	for _, p := range gemmPaths() {
		for _, tc := range []struct {
			special float32
			scale   float32
			other   int8
		}{{inf, inf, 0}, {-inf, inf, 0}, {nan, nan, nanQ}} {
			v := append(slices.Clone(base), tc.special)
			q := make([]int8, len(v))
			s := symmetricQuantizeOn(p, v, q)
			want := make([]int8, len(v))
			for i := range want {
				want[i] = tc.other
			}
			want[len(v)-1] = nanQ
			sameScale := s == tc.scale || (s != s && tc.scale != tc.scale)
			if !sameScale || !slices.Equal(q, want) {
				t.Errorf("symmetric on %v with %v: scale %v q %v, want %v %v", p, tc.special, s, q, tc.scale, want)
			}
		}
	}
}

// FuzzQuantizePaths compares every path with the portable loops on
// arbitrary float bit patterns.
func FuzzQuantizePaths(f *testing.F) {
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint32(nil, 0x7fc00000))
	seed := []byte{}
	for _, x := range []float32{127, 0.5, -0.5, -128, 1e-40, 3e38, -0, 7.5, 2.5, -1.5} {
		seed = binary.LittleEndian.AppendUint32(seed, math.Float32bits(x))
	}
	f.Add(seed)
	f.Add(append(seed, seed...))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		checkQuantPaths(t, v, "fuzz")
	})
}

// BenchmarkQuantize measures both quantizers per path on the input size
// of kws_dscnn's first hybrid convolution (25x5x64).
func BenchmarkQuantize(b *testing.B) {
	r := rand.New(rand.NewPCG(73, 74))
	v := quantVector(r, 8000, "random")
	q := make([]int8, len(v))
	for _, p := range gemmPaths() {
		b.Run("symmetric/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(v)))
			for b.Loop() {
				symmetricQuantizeOn(p, v, q)
			}
		})
		b.Run("asymmetric/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(v)))
			for b.Loop() {
				asymmetricQuantizeOn(p, v, q)
			}
		})
	}
}
