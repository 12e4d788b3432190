package quality

import (
	"sync"
	"sync/atomic"
	"time"
)

// Metrics counts what happens to one sensor. The sensor goroutine adds to it
// and another goroutine may take snapshots; all methods are safe for
// concurrent use and the Add methods do not allocate or lock.
type Metrics struct {
	samples    atomic.Int64
	late       atomic.Int64
	dropped    atomic.Int64
	readErrors atomic.Int64
	invalid    atomic.Int64

	mu       sync.Mutex // guards the previous snapshot
	prevAt   time.Time
	prevSamp int64
}

// AddSamples counts n samples delivered by the sensor.
func (m *Metrics) AddSamples(n int) { m.samples.Add(int64(n)) }

// AddLate counts a read that completed after its sample was due plus the
// agent's tolerance.
func (m *Metrics) AddLate() { m.late.Add(1) }

// AddDropped counts n samples lost downstream (a full channel dropping its
// oldest) or upstream (a FIFO overrun the driver reported).
func (m *Metrics) AddDropped(n int) { m.dropped.Add(int64(n)) }

// AddReadError counts a failed read or stream.
func (m *Metrics) AddReadError() { m.readErrors.Add(1) }

// AddInvalid counts n samples marked invalid.
func (m *Metrics) AddInvalid(n int) { m.invalid.Add(int64(n)) }

// Snapshot is the state of Metrics at one instant. Counters are totals since
// the sensor was opened; Rate is samples per second since the previous
// snapshot (0 for the first one).
type Snapshot struct {
	Samples    int64
	Late       int64
	Dropped    int64
	ReadErrors int64
	Invalid    int64
	Rate       float64
}

// Snapshot reads the counters at time now and computes the achieved rate.
func (m *Metrics) Snapshot(now time.Time) Snapshot {
	s := Snapshot{
		Samples:    m.samples.Load(),
		Late:       m.late.Load(),
		Dropped:    m.dropped.Load(),
		ReadErrors: m.readErrors.Load(),
		Invalid:    m.invalid.Load(),
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.prevAt.IsZero() {
		if dt := now.Sub(m.prevAt).Seconds(); dt > 0 {
			s.Rate = float64(s.Samples-m.prevSamp) / dt
		}
	}
	m.prevAt, m.prevSamp = now, s.Samples
	return s
}

// Values returns the snapshot as metric names and values, the shape of the
// fleet metrics payload, each name prefixed with prefix (e.g. "sensor.pump1.").
func (s Snapshot) Values(prefix string) map[string]float64 {
	return map[string]float64{
		prefix + "samples":     float64(s.Samples),
		prefix + "late":        float64(s.Late),
		prefix + "dropped":     float64(s.Dropped),
		prefix + "read_errors": float64(s.ReadErrors),
		prefix + "invalid":     float64(s.Invalid),
		prefix + "rate_hz":     float64(s.Rate),
	}
}
