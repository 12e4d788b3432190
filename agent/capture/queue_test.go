package capture

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
}

func TestQueueNeverBlocksAndCountsDrops(t *testing.T) {
	q, err := NewQueue(3)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody drains: every Offer must still return at once.
	accepted := 0
	for n := range 1000 {
		if q.Offer(testCapture(TriggerSample, n)) {
			accepted++
		}
	}
	if accepted != 3 || q.Dropped() != 997 || q.Len() != 3 {
		t.Fatalf("accepted %d, dropped %d, len %d", accepted, q.Dropped(), q.Len())
	}

	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	wg.Go(func() {
		q.Run(ctx, s, func(_ Capture, _ string, err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	})
	waitFor(t, "the queued captures in the store", func() bool { return s.Stats().Captures == 3 })
	bad := testCapture(TriggerSample, 1)
	bad.Trigger = "nope"
	if !q.Offer(bad) {
		t.Fatal("offer to a drained queue refused")
	}
	waitFor(t, "the bad capture's result", func() bool { mu.Lock(); defer mu.Unlock(); return len(errs) == 4 })
	cancel()
	wg.Wait()
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	if errs[3] == nil {
		t.Error("invalid capture reported no error")
	}
	if _, err := NewQueue(0); err == nil {
		t.Fatal("queue of size 0 accepted")
	}
}

func TestSamplerDeterministic(t *testing.T) {
	a, _ := NewSampler(0.1, 42)
	b, _ := NewSampler(0.1, 42)
	c, _ := NewSampler(0.1, 43)
	taken, differ := 0, false
	for range 10000 {
		x, y, z := a.Take(), b.Take(), c.Take()
		if x != y {
			t.Fatal("same seed, different decisions")
		}
		if x != z {
			differ = true
		}
		if x {
			taken++
		}
	}
	if !differ {
		t.Error("different seeds gave the same 10000 decisions")
	}
	if taken < 900 || taken > 1100 { // binomial(10000, 0.1): sd 30
		t.Errorf("rate 0.1 took %d of 10000", taken)
	}
	never, _ := NewSampler(0, 1)
	always, _ := NewSampler(1, 1)
	for range 1000 {
		if never.Take() || !always.Take() {
			t.Fatal("rate 0 took or rate 1 skipped a window")
		}
	}
	for _, r := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := NewSampler(r, 1); err == nil {
			t.Errorf("rate %v accepted", r)
		}
	}
}

func TestUncertaintyBand(t *testing.T) {
	u := UncertaintyBand{Threshold: 0.7, Band: 0.05}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	for score, want := range map[float64]bool{0.7: true, 0.66: true, 0.74: true, 0.64: false, 0.76: false, math.NaN(): false, math.Inf(1): false} {
		if got := u.Contains(score); got != want {
			t.Errorf("Contains(%v) = %v, want %v", score, got, want)
		}
	}
	for _, bad := range []UncertaintyBand{{Threshold: math.NaN()}, {Threshold: 1, Band: -1}, {Threshold: 1, Band: math.Inf(1)}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestQueueRunWritesWhatIsQueuedAtStop(t *testing.T) {
	q, _ := NewQueue(4)
	for n := range 3 {
		if !q.Offer(testCapture(TriggerCommand, n)) {
			t.Fatal("offer refused")
		}
	}
	s := open(t, t.TempDir(), Options{Budget: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Run(ctx, s, nil) // returns: ctx is already done
	if n := s.Stats().Captures; n != 3 || q.Len() != 0 {
		t.Fatalf("stored %d of 3 queued captures, %d left in the queue", n, q.Len())
	}
}

func BenchmarkOffer(b *testing.B) {
	q, _ := NewQueue(1)
	c := testCapture(TriggerSample, 1)
	q.Offer(c)
	b.ReportAllocs()
	for b.Loop() {
		q.Offer(c) // full: the pipeline's worst case
	}
}
