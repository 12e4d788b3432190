package monitor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Drift statistics compare what a model sees now with what it saw in
// training, in constant memory per feature:
//
//	bundle manifest ──► Baseline{Edges, Probs}   (k-1 cut points, k bin probabilities)
//	values ──► Sliding.Add ──► ring of per-interval bin counts (k × intervals)
//	                  Rotate each interval: the oldest interval leaves the horizon
//	Sliding.PSI / Sliding.KS ──► DriftDetector (raise/clear hysteresis) ──► drift event

// MaxBins bounds the bins of a baseline so that a manifest cannot make the
// agent allocate without limit.
const MaxBins = 1024

// PSIEpsilon replaces an empty bin's share (observed or baseline) in PSI, so
// that a bin empty on one side adds a large but finite term instead of +Inf.
// 1e-4 is the customary floor: an empty bin against a 10 % baseline bin adds
// about 0.1 × ln(1000) ≈ 0.69, clearly past the usual 0.25 alarm level.
const PSIEpsilon = 1e-4

// probSumTolerance is how far the baseline probabilities may sum from 1
// (manifests carry rounded decimals).
const probSumTolerance = 1e-6

// Baseline is a fixed-bin distribution as a model bundle manifest carries
// it. Edges are the k-1 interior cut points, strictly increasing and
// finite; bin i holds values v with Edges[i-1] < v <= Edges[i], the first
// bin everything up to Edges[0] (including -Inf) and the last everything
// above the last edge (including +Inf). Probs are the k bin probabilities.
type Baseline struct {
	Edges []float64 `json:"edges"`
	Probs []float64 `json:"probs"`
}

// Validate checks the shape and values of b, naming the offending field.
func (b Baseline) Validate() error {
	if len(b.Probs) < 2 {
		return fmt.Errorf("monitor: baseline: field \"probs\": %d bins, need at least 2", len(b.Probs))
	}
	if len(b.Probs) > MaxBins {
		return fmt.Errorf("monitor: baseline: field \"probs\": %d bins, at most %d", len(b.Probs), MaxBins)
	}
	if len(b.Edges) != len(b.Probs)-1 {
		return fmt.Errorf("monitor: baseline: field \"edges\": %d edges for %d bins, want %d",
			len(b.Edges), len(b.Probs), len(b.Probs)-1)
	}
	for i, e := range b.Edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return fmt.Errorf("monitor: baseline: field \"edges[%d]\": %v is not finite", i, e)
		}
		if i > 0 && e <= b.Edges[i-1] {
			return fmt.Errorf("monitor: baseline: field \"edges[%d]\": %v not above edges[%d] = %v",
				i, e, i-1, b.Edges[i-1])
		}
	}
	var sum float64
	for i, p := range b.Probs {
		if math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("monitor: baseline: field \"probs[%d]\": %v is not a probability", i, p)
		}
		sum += p
	}
	if math.Abs(sum-1) > probSumTolerance {
		return fmt.Errorf("monitor: baseline: field \"probs\": sum %v, want 1", sum)
	}
	return nil
}

// Bins is the number of bins.
func (b Baseline) Bins() int { return len(b.Probs) }

// Bin returns the bin of v; v must not be NaN.
func (b Baseline) Bin(v float64) int {
	return sort.SearchFloat64s(b.Edges, v)
}

// BaselineFromSamples builds a baseline of at most bins bins from sample
// values: cut points at the i/bins quantiles (ties merged, so a feature with
// few distinct values gets fewer bins), probabilities from the samples'
// counts. NaN samples are ignored; at least two distinct finite values are
// needed.
func BaselineFromSamples(values []float64, bins int) (Baseline, error) {
	if bins < 2 || bins > MaxBins {
		return Baseline{}, fmt.Errorf("monitor: baseline from samples: %d bins, want 2..%d", bins, MaxBins)
	}
	s := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	slices.Sort(s)
	if len(s) == 0 || s[0] == s[len(s)-1] {
		return Baseline{}, errors.New("monitor: baseline from samples: need at least two distinct non-NaN values")
	}
	edges := make([]float64, 0, bins-1)
	for i := 1; i < bins; i++ {
		// The value at rank ceil(i/bins × n) (1-based) closes the i-th bin.
		r := int(math.Ceil(float64(i)*float64(len(s))/float64(bins))) - 1
		e := s[max(r, 0)]
		if math.IsInf(e, 0) || e == s[len(s)-1] || (len(edges) > 0 && e <= edges[len(edges)-1]) {
			continue // an edge at the maximum would leave the last bin empty
		}
		edges = append(edges, e)
	}
	if len(edges) == 0 {
		// All quantiles fell on the maximum or on ±Inf: split below the maximum.
		i := sort.SearchFloat64s(s, s[len(s)-1]) - 1
		if math.IsInf(s[i], 0) {
			return Baseline{}, errors.New("monitor: baseline from samples: need at least two distinct finite values")
		}
		edges = append(edges, s[i])
	}
	b := Baseline{Edges: edges, Probs: make([]float64, len(edges)+1)}
	counts := make([]float64, len(b.Probs))
	for _, v := range s {
		counts[b.Bin(v)]++
	}
	for i, c := range counts {
		b.Probs[i] = c / float64(len(s))
	}
	return b, nil
}

// PSI is the population stability index of observed bin counts against the
// baseline probabilities: Σ (q−p)·ln(q/p), with q and p floored at
// PSIEpsilon. ok is false when nothing was observed.
func PSI(probs []float64, counts []uint64) (psi float64, ok bool, err error) {
	if len(probs) != len(counts) {
		return 0, false, fmt.Errorf("monitor: psi: %d counts for %d baseline bins", len(counts), len(probs))
	}
	n := total(counts)
	if n == 0 {
		return 0, false, nil
	}
	for i, c := range counts {
		q := max(float64(c)/float64(n), PSIEpsilon)
		p := max(probs[i], PSIEpsilon)
		psi += (q - p) * math.Log(q/p)
	}
	return psi, true, nil
}

// KS is the Kolmogorov–Smirnov distance at bin resolution: the largest
// difference between the observed and baseline cumulative distributions at
// the bin edges. ok is false when nothing was observed.
func KS(probs []float64, counts []uint64) (ks float64, ok bool, err error) {
	if len(probs) != len(counts) {
		return 0, false, fmt.Errorf("monitor: ks: %d counts for %d baseline bins", len(counts), len(probs))
	}
	n := total(counts)
	if n == 0 {
		return 0, false, nil
	}
	var cq, cp float64
	for i, c := range counts {
		cq += float64(c) / float64(n)
		cp += probs[i]
		ks = max(ks, math.Abs(cq-cp))
	}
	return ks, true, nil
}

func total(counts []uint64) uint64 {
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n
}

// Sliding counts values into a baseline's bins over a horizon of the last
// few intervals, without storing the values: a ring of per-interval bin
// counts and running totals. Memory is bins × intervals counters, fixed at
// construction. NaN values are counted apart and stay out of the bins. Not
// safe for concurrent use.
type Sliding struct {
	base      Baseline
	ring      []uint64 // intervals × bins, interval-major
	nanRing   []uint64
	totals    []uint64 // sum over the ring, per bin
	nanTotal  uint64
	cur       int // interval being filled
	intervals int
}

// NewSliding returns a counter over b's bins with a horizon of intervals
// intervals (the current one included).
func NewSliding(b Baseline, intervals int) (*Sliding, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if intervals < 1 || intervals > 1<<16 {
		return nil, fmt.Errorf("monitor: sliding: %d intervals, want 1..%d", intervals, 1<<16)
	}
	k := b.Bins()
	return &Sliding{
		base:      b,
		ring:      make([]uint64, k*intervals),
		nanRing:   make([]uint64, intervals),
		totals:    make([]uint64, k),
		intervals: intervals,
	}, nil
}

// Add counts one value into the current interval.
func (s *Sliding) Add(v float64) {
	if math.IsNaN(v) {
		s.nanRing[s.cur]++
		s.nanTotal++
		return
	}
	i := s.base.Bin(v)
	s.ring[s.cur*len(s.totals)+i]++
	s.totals[i]++
}

// Rotate closes the current interval and starts a new one; the oldest
// interval leaves the horizon.
func (s *Sliding) Rotate() {
	s.cur = (s.cur + 1) % s.intervals
	k := len(s.totals)
	row := s.ring[s.cur*k : (s.cur+1)*k]
	for i, c := range row {
		s.totals[i] -= c
		row[i] = 0
	}
	s.nanTotal -= s.nanRing[s.cur]
	s.nanRing[s.cur] = 0
}

// Counts returns the per-bin counts over the horizon; the slice is s's own
// and valid until the next Add or Rotate.
func (s *Sliding) Counts() []uint64 { return s.totals }

// Count is the number of non-NaN values over the horizon.
func (s *Sliding) Count() uint64 { return total(s.totals) }

// NaN is the number of NaN values over the horizon.
func (s *Sliding) NaN() uint64 { return s.nanTotal }

// PSI is the horizon's PSI against the baseline; ok is false when the
// horizon holds no values.
func (s *Sliding) PSI() (float64, bool) {
	v, ok, _ := PSI(s.base.Probs, s.totals) // lengths match by construction
	return v, ok
}

// KS is the horizon's KS distance against the baseline; ok is false when
// the horizon holds no values.
func (s *Sliding) KS() (float64, bool) {
	v, ok, _ := KS(s.base.Probs, s.totals)
	return v, ok
}

// Transition is what a DriftDetector update changed.
type Transition int

const (
	NoChange Transition = iota // state unchanged
	Raised                     // crossed the raise threshold: drift began
	Cleared                    // fell below the clear threshold: drift ended
)

func (t Transition) String() string {
	switch t {
	case Raised:
		return "raised"
	case Cleared:
		return "cleared"
	}
	return "none"
}

// DriftDetector turns a drift statistic into raise/clear transitions with
// hysteresis: raised when the statistic reaches Raise, cleared only when it
// falls below Clear, so a value wavering around one threshold does not
// flap. The zero value is not usable; use NewDriftDetector.
type DriftDetector struct {
	raise, clear float64
	active       bool
	last         float64
}

// NewDriftDetector validates 0 <= clear <= raise, both finite.
func NewDriftDetector(raise, clear float64) (*DriftDetector, error) {
	switch {
	case math.IsNaN(raise) || math.IsInf(raise, 0) || raise <= 0:
		return nil, fmt.Errorf("monitor: drift: raise threshold %v, want a positive finite number", raise)
	case math.IsNaN(clear) || clear < 0 || clear > raise:
		return nil, fmt.Errorf("monitor: drift: clear threshold %v, want 0..raise (%v)", clear, raise)
	}
	return &DriftDetector{raise: raise, clear: clear}, nil
}

// Update feeds the latest statistic and reports the transition it caused.
// A NaN statistic (nothing observed) changes nothing.
func (d *DriftDetector) Update(v float64) Transition {
	if math.IsNaN(v) {
		return NoChange
	}
	d.last = v
	switch {
	case !d.active && v >= d.raise:
		d.active = true
		return Raised
	case d.active && v < d.clear:
		d.active = false
		return Cleared
	}
	return NoChange
}

// Active reports whether drift is currently raised.
func (d *DriftDetector) Active() bool { return d.active }

// Last is the latest non-NaN statistic fed to Update.
func (d *DriftDetector) Last() float64 { return d.last }
