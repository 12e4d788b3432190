package delivery

import (
	"time"
)

// Progress is the engine's view of delivery, for logs and metrics.
type Progress struct {
	// Backlog is the number of records in the outbox: not yet acknowledged
	// by the broker, in flight included.
	Backlog int64
	// Draining is true while records that were pending when the current
	// connection came up are still being sent.
	Draining bool
	// Rate is records acknowledged per second over the last ~10 s.
	Rate float64
	// ETA is Backlog/Rate; negative when no rate has been measured yet while
	// records wait, 0 when nothing waits.
	ETA time.Duration
	// Counters since New: records published (Sent), of which historical,
	// acknowledged and removed from the outbox (Acked), and MQTT messages
	// (fewer than Sent when batching).
	Sent, Historical, Acked, Messages uint64
	// AckFailures counts Ack attempts the outbox refused (a full disk);
	// each is retried with backoff. Stalls counts connection runs ended by
	// an outbox error and started again. LastError is the latest of either,
	// nil if none; the agent reports it once per episode.
	AckFailures, Stalls uint64
	LastError           error
}

type sample struct {
	t     time.Time
	acked uint64
}

type progress struct {
	sent, historical, acked, messages uint64
	ackFailures, stalls               uint64
	lastErr                           error
	draining                          bool
	samples                           [16]sample // ring, one per second at most
	ns, next                          int
}

func (e *Engine) sent(records int, hist bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prog.sent += uint64(records)
	e.prog.messages++
	if hist {
		e.prog.historical += uint64(records)
	}
}

func (e *Engine) acked(records int) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	p := &e.prog
	p.acked += uint64(records)
	if p.ns > 0 {
		last := p.samples[(p.next+len(p.samples)-1)%len(p.samples)]
		if now.Sub(last.t) < time.Second {
			return
		}
	}
	p.samples[p.next] = sample{now, p.acked}
	p.next = (p.next + 1) % len(p.samples)
	p.ns = min(p.ns+1, len(p.samples))
}

func (e *Engine) setDraining(d bool) {
	e.mu.Lock()
	e.prog.draining = d
	e.mu.Unlock()
}

// Progress returns a snapshot. It reads the outbox's in-memory counters
// only, so it is cheap enough for every metrics tick.
func (e *Engine) Progress() Progress {
	backlog := e.out.Stats().Records
	now := time.Now()
	e.mu.Lock()
	p := e.prog
	e.mu.Unlock()
	pr := Progress{
		Backlog: backlog, Draining: p.draining,
		Sent: p.sent, Historical: p.historical, Acked: p.acked, Messages: p.messages,
		AckFailures: p.ackFailures, Stalls: p.stalls, LastError: p.lastErr,
	}
	// Rate from the oldest sample inside the window (or, when idle, the
	// newest one before it, so the rate decays to 0).
	var base *sample
	for k := range p.ns {
		s := &p.samples[(p.next+len(p.samples)-p.ns+k)%len(p.samples)]
		if base == nil || now.Sub(s.t) >= rateWindow {
			base = s
		}
	}
	if base != nil {
		if dt := now.Sub(base.t).Seconds(); dt > 0 {
			pr.Rate = float64(p.acked-base.acked) / dt
		}
	}
	switch {
	case backlog == 0:
	case pr.Rate > 0:
		pr.ETA = time.Duration(float64(backlog) / pr.Rate * float64(time.Second))
	default:
		pr.ETA = -1
	}
	return pr
}

func (e *Engine) ackFailed(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prog.ackFailures++
	e.prog.lastErr = err
}

func (e *Engine) stalled(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prog.stalls++
	e.prog.lastErr = err
}
