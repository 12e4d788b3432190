package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdd8FastMatchesReference runs the table-driven same-shape 8-bit
// ADD/SUB against the reference addSub on random codes, for realistic
// scale ratios and for extreme multipliers and shifts, at odd lengths.
func TestAdd8FastMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 8))
	scales := func() (float64, float64, float64) {
		e := func() float64 { return math.Ldexp(0.5+rng.Float64(), rng.IntN(30)-20) }
		return e(), e(), e()
	}
	for trial := range 400 {
		s1, s2, so := scales()
		q := ewQParams{
			in1Off: int32(rng.IntN(256) - 128), in2Off: int32(rng.IntN(256) - 128),
			outOff: int32(rng.IntN(256) - 128), leftShift: 20,
			actLo: -128, actHi: 127,
		}
		twiceMax := 2 * max(s1, s2)
		q.in1Mult, q.in1Shift = QuantizeMultiplier(s1 / twiceMax)
		q.in2Mult, q.in2Shift = QuantizeMultiplier(s2 / twiceMax)
		q.outMult, q.outShift = QuantizeMultiplier(twiceMax / (float64(int(1)<<q.leftShift) * so))
		switch trial % 8 {
		case 1: // extreme output multipliers and shifts
			q.outMult = [...]int32{math.MaxInt32, 1 << 30, 1, 0, -1 << 30, math.MinInt32 + 1}[rng.IntN(6)]
			q.outShift = rng.IntN(80) - 70
		case 2:
			q.in1Mult, q.in2Mult = math.MaxInt32, 1<<30
			q.in1Shift, q.in2Shift = -rng.IntN(40), -rng.IntN(40)
		case 3: // fused activation clamp
			q.actLo, q.actHi = int32(rng.IntN(100)-128), int32(rng.IntN(100)+27)
		}
		signed := trial%2 == 0
		if !signed {
			q.in1Off, q.in2Off, q.outOff = -int32(rng.IntN(256)), -int32(rng.IntN(256)), int32(rng.IntN(256))
			q.actLo, q.actHi = 0, 255
		}
		sub := trial%3 == 0
		if !ewAdd8Usable(&q, 1, 1, 1) {
			t.Fatalf("trial %d: fast form refused usable params %+v", trial, q)
		}
		var tab ewAdd8
		tab.build(&q, signed, sub)
		n := 1 + rng.IntN(67)
		if signed {
			checkAdd8(t, trial, &tab, &q, sub, randCodes[int8](rng, n), randCodes[int8](rng, n))
		} else {
			checkAdd8(t, trial, &tab, &q, sub, randCodes[uint8](rng, n), randCodes[uint8](rng, n))
		}
	}
	if ewAdd8Usable(&ewQParams{outMult: math.MinInt32}, 4, 4, 4) || ewAdd8Usable(&ewQParams{}, 4, 1, 4) {
		t.Fatal("fast form accepted a saturating multiplier or a broadcast input")
	}
}

func randCodes[T int8 | uint8](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.IntN(256))
	}
	// The extreme codes always occur.
	lo, hi := uint8(0x80), uint8(0x7f)
	if n > 1 {
		s[0], s[n-1] = T(lo), T(hi)
	}
	return s
}

func checkAdd8[T int8 | uint8](t *testing.T, trial int, tab *ewAdd8, q *ewQParams, sub bool, x, y []T) {
	t.Helper()
	got := make([]T, len(x))
	ewAdd8Rows(tab, q, x, y, got)
	for i := range got {
		want := T(q.addSub(int32(x[i]), int32(y[i]), sub))
		if got[i] != want {
			t.Fatalf("trial %d (sub %v, params %+v): element %d of %d: x %d y %d: got %d, want %d",
				trial, sub, *q, i, len(x), x[i], y[i], got[i], want)
		}
	}
}

func BenchmarkAdd8(b *testing.B) {
	q := ewQParams{in1Off: 3, in2Off: -7, outOff: 5, leftShift: 20, actLo: -128, actHi: 127}
	q.in1Mult, q.in1Shift = QuantizeMultiplier(0.5)
	q.in2Mult, q.in2Shift = QuantizeMultiplier(0.31)
	q.outMult, q.outShift = QuantizeMultiplier(2 * 0.02 / (float64(1<<20) * 0.03))
	const n = 32 * 32 * 16
	x, y, o := make([]int8, n), make([]int8, n), make([]int8, n)
	for i := range x {
		x[i], y[i] = int8(i*7), int8(i*13)
	}
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			for i := range o {
				o[i] = int8(q.addSub(int32(x[i]), int32(y[i]), false))
			}
		}
	})
	b.Run("table", func(b *testing.B) {
		var tab ewAdd8
		tab.build(&q, true, false)
		b.SetBytes(n)
		for b.Loop() {
			ewAdd8Rows(&tab, &q, x, y, o)
		}
	})
}
