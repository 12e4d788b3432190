// Package pace gives simulated and replayed sources a clock to pace their
// samples against: the wall clock in production, a virtual clock in tests and
// in "as fast as possible" runs, so no test waits on real time.
package pace

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits for it.
type Clock interface {
	Now() time.Time
	// SleepUntil blocks until Now() is at or after t, or until ctx is done;
	// then it returns ctx.Err().
	SleepUntil(ctx context.Context, t time.Time) error
}

// Wall is the real clock.
type Wall struct{}

// Now returns time.Now().
func (Wall) Now() time.Time { return time.Now() }

// SleepUntil waits on a timer until t.
func (Wall) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Virtual is a clock whose time moves only when someone sleeps on it: a
// sleep jumps straight to its deadline. It is safe for concurrent use.
type Virtual struct {
	mu     sync.Mutex
	now    time.Time
	sleeps int64
}

// NewVirtual returns a virtual clock reading start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start} }

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// SleepUntil advances the virtual time to t (never backwards).
func (v *Virtual) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.After(v.now) {
		v.now = t
		v.sleeps++
	}
	return nil
}

// Advance moves the virtual time forward by d.
func (v *Virtual) Advance(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = v.now.Add(d)
}

// Sleeps is the number of sleeps that moved the clock.
func (v *Virtual) Sleeps() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.sleeps
}

// SampleTime is the Unix ns time of sample i of a stream that started at
// start and runs at rate samples per second. For whole rates it is exact to
// the nanosecond at any stream length, where i*1e9/rate in float64 drifts
// after a few days; other rates are exact while i/rate fits in float64's
// precision, below a nanosecond for a day of samples.
func SampleTime(start int64, i int64, rate float64) int64 {
	if r := int64(rate); float64(r) == rate && r > 0 && r <= 1e9 {
		sec, rem := i/r, i%r
		return start + sec*int64(time.Second) + (rem*int64(time.Second)+r/2)/r
	}
	q := float64(i) / rate
	sec := int64(q)
	return start + sec*int64(time.Second) + int64((q-float64(sec))*1e9+0.5)
}

// Ticker paces periodic reads of a low-rate sensor against a Clock, in the
// caller's goroutine.
type Ticker struct {
	clock  Clock
	period time.Duration
	next   time.Time
}

// NewTicker returns a ticker whose first tick is due at once.
func NewTicker(c Clock, period time.Duration) *Ticker {
	return &Ticker{clock: c, period: period}
}

// Wait sleeps until the next tick. A caller that fell behind by whole
// periods skips the missed ticks instead of bunching them, and learns how
// many it skipped (late reads, for the sensor's metrics).
func (t *Ticker) Wait(ctx context.Context) (skipped int, err error) {
	now := t.clock.Now()
	if t.next.IsZero() {
		t.next = now
	}
	if behind := now.Sub(t.next); behind >= t.period {
		n := int(behind / t.period)
		t.next = t.next.Add(time.Duration(n) * t.period)
		skipped = n
	}
	if err := t.clock.SleepUntil(ctx, t.next); err != nil {
		return skipped, err
	}
	t.next = t.next.Add(t.period)
	return skipped, nil
}
