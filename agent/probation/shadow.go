package probation

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// ShadowReservoir is how many absolute score differences Shadow keeps for
// its p95: the exact p95 up to this many windows, a uniform sample of all
// windows beyond.
const ShadowReservoir = 1024

// ShadowWindow is one window scored by both the champion and the candidate
// running beside it in shadow mode.
type ShadowWindow struct {
	ChampionScore, CandidateScore float64
	ChampionAlert, CandidateAlert bool
	CandidateLatency              time.Duration
}

// Shadow accumulates the comparison of a shadow candidate with the
// champion in fixed memory. Not safe for concurrent use; deterministic for
// a given sequence of windows.
type Shadow struct {
	windows   int64
	agree     int64
	nonFinite int64 // windows where either score was NaN/Inf; not in the differences
	diffs     int64 // windows in the difference statistics
	sumAbs    float64
	reservoir []float64
	rng       *rand.Rand
	lat       latencies
}

// NewShadow returns an empty comparison.
func NewShadow() *Shadow {
	return &Shadow{
		reservoir: make([]float64, 0, ShadowReservoir),
		rng:       rand.New(rand.NewPCG(0x5ad0, 0x77)), // fixed seed: same windows, same figures
	}
}

// Observe adds one window.
func (s *Shadow) Observe(w ShadowWindow) {
	s.windows++
	if w.ChampionAlert == w.CandidateAlert {
		s.agree++
	}
	s.lat.observe(w.CandidateLatency)
	d := math.Abs(w.ChampionScore - w.CandidateScore)
	if math.IsNaN(d) || math.IsInf(d, 0) {
		s.nonFinite++
		return
	}
	s.diffs++
	s.sumAbs += d
	// Reservoir sampling (Algorithm R): every difference so far has the same
	// chance ShadowReservoir/diffs to be held.
	if len(s.reservoir) < ShadowReservoir {
		s.reservoir = append(s.reservoir, d)
	} else if j := s.rng.Int64N(s.diffs); j < ShadowReservoir {
		s.reservoir[j] = d
	}
}

// ShadowStats is the periodic comparison the agent publishes.
type ShadowStats struct {
	Windows      int64   // windows compared
	Agreement    float64 // share of windows with the same alert state; 0 without windows
	MeanAbsDiff  float64 // over windows with finite scores on both sides
	P95AbsDiff   float64 // nearest rank; exact up to ShadowReservoir windows
	NonFinite    int64   // windows where a score was NaN or Inf
	CandidateP50 time.Duration
	CandidateP99 time.Duration // both bucketed, about 4.4 % resolution
}

// Stats returns the comparison so far.
func (s *Shadow) Stats() ShadowStats {
	st := ShadowStats{
		Windows:      s.windows,
		NonFinite:    s.nonFinite,
		CandidateP50: s.lat.quantile(0.5),
		CandidateP99: s.lat.quantile(0.99),
	}
	if s.windows > 0 {
		st.Agreement = float64(s.agree) / float64(s.windows)
	}
	if s.diffs > 0 {
		st.MeanAbsDiff = s.sumAbs / float64(s.diffs)
		// Sorting in place keeps the sample uniform: replacement picks an
		// index at random, whatever the order.
		slices.Sort(s.reservoir)
		st.P95AbsDiff = s.reservoir[int(math.Ceil(0.95*float64(len(s.reservoir))))-1]
	}
	return st
}
