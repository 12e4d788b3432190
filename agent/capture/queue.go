package capture

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Queue hands captures from the pipeline to the agent's writer goroutine
// without ever blocking the pipeline: Offer returns false at once, and
// counts the drop, when the queue is full.
type Queue struct {
	dropped atomic.Int64
	ch      chan Capture
}

// NewQueue returns a queue holding at most n captures.
func NewQueue(n int) (*Queue, error) {
	if n <= 0 {
		return nil, fmt.Errorf("capture: queue: size %d must be positive", n)
	}
	return &Queue{ch: make(chan Capture, n)}, nil
}

// Offer enqueues c if there is room. The queue keeps c's slices: the caller
// must not modify them afterwards.
func (q *Queue) Offer(c Capture) bool {
	select {
	case q.ch <- c:
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// Dropped counts the captures Offer refused.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// Len is the number of captures waiting.
func (q *Queue) Len() int { return len(q.ch) }

// Run adds queued captures to s until ctx ends, and then the ones already
// queued at that moment (at most the queue size), so a clean stop keeps
// them. One Run per queue; the caller runs it on its own goroutine and
// owns that goroutine.
// done, if not nil, is called after each Add with its result (for logging
// and metrics in the agent).
func (q *Queue) Run(ctx context.Context, s *Store, done func(c Capture, id string, err error)) {
	add := func(c Capture) {
		id, err := s.Add(c)
		if done != nil {
			done(c, id, err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			for range len(q.ch) {
				add(<-q.ch)
			}
			return
		case c := <-q.ch:
			add(c)
		}
	}
}

// Sampler decides the random-sample trigger: Take is true for a fraction
// rate of calls. The same seed gives the same decisions. It is safe for
// concurrent use.
type Sampler struct {
	mu   sync.Mutex
	rate float64
	rng  *rand.Rand
}

// NewSampler returns a sampler taking rate (0 to 1) of the windows.
func NewSampler(rate float64, seed uint64) (*Sampler, error) {
	if !(rate >= 0 && rate <= 1) {
		return nil, fmt.Errorf("capture: sampler: rate %v must be between 0 and 1", rate)
	}
	return &Sampler{rate: rate, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}, nil
}

// Take reports whether to capture this window.
func (s *Sampler) Take() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < s.rate
}

// UncertaintyBand is the uncertain trigger: scores within Band of
// Threshold, where the model is least sure.
type UncertaintyBand struct {
	Threshold float64
	Band      float64
}

// Validate checks that the band is usable.
func (u UncertaintyBand) Validate() error {
	if math.IsNaN(u.Threshold) || math.IsInf(u.Threshold, 0) {
		return fmt.Errorf("capture: uncertainty band: threshold %v must be finite", u.Threshold)
	}
	if !(u.Band >= 0) || math.IsInf(u.Band, 0) {
		return fmt.Errorf("capture: uncertainty band: band %v must be finite and not negative", u.Band)
	}
	return nil
}

// Contains reports whether score lies in [Threshold-Band, Threshold+Band];
// NaN is never inside.
func (u UncertaintyBand) Contains(score float64) bool {
	return math.Abs(score-u.Threshold) <= u.Band
}
