package ops

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
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
		case 4: // left-shifting input multipliers: the terms wrap in int32
			q.in1Shift, q.in2Shift = rng.IntN(14), rng.IntN(14)
			q.in1Mult = [...]int32{math.MaxInt32, -1 << 30, 12345}[rng.IntN(3)]
		case 5: // rounding shifts at the edge of the vector kernels' range
			q.outShift, q.in1Shift = -31+rng.IntN(2), -32+rng.IntN(2)
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
		n := 1 + rng.IntN(100)
		x1, y1 := randCodes[int8](rng, n), randCodes[int8](rng, n)
		x2, y2 := randCodes[uint8](rng, n), randCodes[uint8](rng, n)
		for _, p := range gemmPaths() {
			tab.setPath(&q, sub, p)
			if trial%8 == 0 && tab.path != p {
				t.Fatalf("trial %d: path %v fell back to %v for realistic params %+v", trial, p, tab.path, q)
			}
			if signed {
				checkAdd8(t, trial, &tab, &q, sub, x1, y1)
			} else {
				checkAdd8(t, trial, &tab, &q, sub, x2, y2)
			}
		}
	}
	if ewAdd8Usable(&ewQParams{outMult: math.MinInt32}, 4, 4, 4) || ewAdd8Usable(&ewQParams{}, 4, 1, 4) {
		t.Fatal("fast form accepted a saturating multiplier or a broadcast input")
	}
}

// TestAdd8ConstsLayout pins the field offsets elementwise_add8_amd64.s
// addresses add8Consts by.
func TestAdd8ConstsLayout(t *testing.T) {
	var k add8Consts
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"off2", unsafe.Offsetof(k.off2), 32}, {"m1", unsafe.Offsetof(k.m1), 64},
		{"m2", unsafe.Offsetof(k.m2), 96}, {"mask1", unsafe.Offsetof(k.mask1), 128},
		{"mask2", unsafe.Offsetof(k.mask2), 160}, {"thr1", unsafe.Offsetof(k.thr1), 192},
		{"thr2", unsafe.Offsetof(k.thr2), 224}, {"sgn", unsafe.Offsetof(k.sgn), 256},
		{"mo", unsafe.Offsetof(k.mo), 288}, {"masko", unsafe.Offsetof(k.masko), 320},
		{"tho", unsafe.Offsetof(k.tho), 352}, {"zp", unsafe.Offsetof(k.zp), 384},
		{"lo", unsafe.Offsetof(k.lo), 416}, {"hi", unsafe.Offsetof(k.hi), 448},
		{"nudge", unsafe.Offsetof(k.nudge), 480}, {"l1", unsafe.Offsetof(k.l1), 512},
		{"l2", unsafe.Offsetof(k.l2), 528}, {"lo_", unsafe.Offsetof(k.lo_), 544},
		{"e1", unsafe.Offsetof(k.e1), 560}, {"e2", unsafe.Offsetof(k.e2), 576},
		{"eo", unsafe.Offsetof(k.eo), 592}, {"neg", unsafe.Offsetof(k.neg), 608},
	} {
		if f.got != f.want {
			t.Errorf("add8Consts.%s at offset %d, the assembly reads %d", f.name, f.got, f.want)
		}
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
			t.Fatalf("trial %d (path %v, sub %v, params %+v): element %d of %d: x %d y %d: got %d, want %d",
				trial, tab.path, sub, *q, i, len(x), x[i], y[i], got[i], want)
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
	for _, p := range gemmPaths() {
		b.Run(p.String(), func(b *testing.B) {
			var tab ewAdd8
			tab.build(&q, true, false)
			tab.setPath(&q, false, p)
			b.SetBytes(n)
			for b.Loop() {
				ewAdd8Rows(&tab, &q, x, y, o)
			}
		})
	}
}
