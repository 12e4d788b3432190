package pace

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"
)

func TestSampleTimeExact(t *testing.T) {
	for _, rate := range []float64{3200, 20480, 1000, 3, 44100} {
		for _, i := range []int64{0, 1, 7, 3199, 1 << 20, 1 << 33, 1<<40 + 3} {
			// Exact: i*1e9/rate in big rationals, within half a nanosecond.
			want := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(i), big.NewInt(1e9)), big.NewInt(int64(rate)))
			if want.Cmp(new(big.Rat).SetInt64(1<<62)) > 0 {
				continue // beyond int64 nanoseconds
			}
			got := SampleTime(0, i, rate)
			diff := new(big.Rat).Sub(new(big.Rat).SetInt64(got), want)
			if diff.Abs(diff).Cmp(big.NewRat(1, 2)) > 0 {
				t.Errorf("rate %v sample %d: %d ns, want %s", rate, i, got, want.FloatString(1))
			}
		}
	}
	// A fractional rate over a day of samples stays within a nanosecond.
	for _, i := range []int64{1, 999, 86400 * 2500} {
		want := float64(i) / 2499.5 * 1e9
		if d := float64(SampleTime(0, i, 2499.5)) - want; d > 1 || d < -1 {
			t.Errorf("rate 2499.5 sample %d: off by %v ns", i, d)
		}
	}
	if SampleTime(5, 0, 100) != 5 {
		t.Error("sample 0 is not at the start")
	}
}

func TestVirtual(t *testing.T) {
	start := time.Unix(100, 0)
	v := NewVirtual(start)
	ctx := context.Background()
	if err := v.SleepUntil(ctx, start.Add(time.Hour)); err != nil || !v.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("after sleeping an hour: %v, %v", v.Now(), err)
	}
	v.SleepUntil(ctx, start) // never backwards
	v.Advance(time.Second)
	if !v.Now().Equal(start.Add(time.Hour+time.Second)) || v.Sleeps() != 1 {
		t.Errorf("clock %v after %d sleeps", v.Now(), v.Sleeps())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := v.SleepUntil(cctx, start.Add(2*time.Hour)); !errors.Is(err, context.Canceled) || v.Sleeps() != 1 {
		t.Errorf("cancelled sleep: %v", err)
	}
}

func TestWall(t *testing.T) {
	var w Wall
	ctx := context.Background()
	target := w.Now().Add(5 * time.Millisecond)
	if err := w.SleepUntil(ctx, target); err != nil || w.Now().Before(target) {
		t.Errorf("woke at %v before %v (%v)", w.Now(), target, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.SleepUntil(cctx, w.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sleep returned %v", err)
	}
}

func TestTicker(t *testing.T) {
	start := time.Unix(100, 0)
	v := NewVirtual(start)
	tk := NewTicker(v, time.Second)
	ctx := context.Background()
	for i := range 3 {
		if n, err := tk.Wait(ctx); err != nil || n != 0 || !v.Now().Equal(start.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("tick %d at %v (skipped %d, %v)", i, v.Now().Sub(start), n, err)
		}
	}
	v.Advance(3500 * time.Millisecond) // a read that took 3.5 s
	// Ticks due at 3 s and 4 s are skipped; the one due at 5 s is served late.
	if n, _ := tk.Wait(ctx); n != 2 || !v.Now().Equal(start.Add(5500*time.Millisecond)) {
		t.Errorf("after a 3.5 s stall: skipped %d, now %v; want 2 skipped and no wait", n, v.Now().Sub(start))
	}
	if n, _ := tk.Wait(ctx); n != 0 || !v.Now().Equal(start.Add(6*time.Second)) {
		t.Errorf("next tick at %v, want back on the 1 s grid", v.Now().Sub(start))
	}
}
