package agent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/models/bundle"
)

// driftIntervals is how many intervals a drift horizon is cut into: the
// horizon slides by horizon/driftIntervals.
const driftIntervals = 12

// driftStream is the drift of one value stream (the score or one input
// feature) against its baseline.
type driftStream struct {
	name string // "score" or "<channel>.<feature>"
	// min is how many values the horizon must hold before the PSI counts:
	// PSI on n values of k bins is biased upwards by about (k-1)/n, so at
	// least 4(k-1)/max_psi keeps the bias under a quarter of the threshold.
	min uint64
	sl  *monitor.Sliding
	det *monitor.DriftDetector
	// psi and ks are the latest statistics; valid once the horizon holds
	// enough windows.
	psi, ks float64
	valid   bool
}

// driftChange is a stream's drift beginning or ending.
type driftChange struct {
	stream  string
	raised  bool
	psi, ks float64
}

// driftTracker measures one model version's drift: its score and each
// input feature with a baseline in the bundle. Pipeline goroutine only;
// observer copies its statistics out for readers.
type driftTracker struct {
	score     *driftStream   // nil: no score baseline
	feats     []*driftStream // by input position; nil entries have no baseline
	mean, std []float64      // to undo the input normalisation
	interval  time.Duration
	next      time.Time // window end time at which the horizon slides
}

// newDriftTracker builds the tracker for a model version from its bundle's
// baseline and its drift config; nil without a baseline.
func newDriftTracker(mc config.Model, b *bundle.Baseline) (*driftTracker, error) {
	if b == nil {
		return nil, nil
	}
	d := mc.Drift
	t := &driftTracker{interval: d.Horizon / driftIntervals}
	if t.interval <= 0 {
		return nil, fmt.Errorf("drift: horizon %s is too short", d.Horizon)
	}
	stream := func(name string, dist bundle.Distribution) (*driftStream, error) {
		base, err := baselineOf(dist)
		if err != nil {
			return nil, fmt.Errorf("drift: baseline %s: %w", name, err)
		}
		sl, err := monitor.NewSliding(base, driftIntervals)
		if err != nil {
			return nil, fmt.Errorf("drift: baseline %s: %w", name, err)
		}
		det, err := monitor.NewDriftDetector(d.MaxPSI, d.ClearPSI)
		if err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
		n := max(uint64(d.MinWindows), uint64(math.Ceil(4*float64(base.Bins()-1)/d.MaxPSI)))
		return &driftStream{name: name, min: n, sl: sl, det: det}, nil
	}
	var err error
	if b.Score != nil {
		if t.score, err = stream("score", *b.Score); err != nil {
			return nil, err
		}
	}
	if len(b.Features) > 0 && len(mc.Features) > 0 {
		pos := map[string]int{}
		for c, ch := range mc.Channels {
			for f, ft := range mc.Features {
				pos[ch+"."+ft] = c*len(mc.Features) + f
			}
		}
		t.feats = make([]*driftStream, len(mc.Channels)*len(mc.Features))
		for _, dist := range b.Features {
			i, ok := pos[dist.Name]
			if !ok {
				return nil, fmt.Errorf("drift: baseline feature %q is not an input of the model (inputs are <channel>.<feature> of channels %v, features %v)",
					dist.Name, mc.Channels, mc.Features)
			}
			if t.feats[i], err = stream(dist.Name, dist); err != nil {
				return nil, err
			}
		}
		if n := mc.Normalize; n != nil && len(n.Mean) == len(t.feats) && len(n.Std) == len(t.feats) {
			t.mean, t.std = n.Mean, n.Std
		}
	}
	return t, nil
}

// baselineOf turns a manifest distribution into monitor's bins: a
// histogram's interior edges and bin shares, or the bins between
// quantiles. Values beyond a histogram's outer edges fall into its first
// or last bin.
func baselineOf(d bundle.Distribution) (monitor.Baseline, error) {
	var b monitor.Baseline
	switch {
	case d.Histogram != nil:
		h := d.Histogram
		if len(h.Edges) < 3 || len(h.Counts) != len(h.Edges)-1 {
			return b, fmt.Errorf("histogram: %d edges and %d counts, want at least 2 bins", len(h.Edges), len(h.Counts))
		}
		var n int64
		for _, c := range h.Counts {
			n += c
		}
		if n <= 0 {
			return b, errors.New("histogram: no counts")
		}
		b.Edges = append(b.Edges, h.Edges[1:len(h.Edges)-1]...)
		for _, c := range h.Counts {
			b.Probs = append(b.Probs, float64(c)/float64(n))
		}
	case d.Quantiles != nil && len(d.Quantiles.P) > 0 && len(d.Quantiles.P) == len(d.Quantiles.Values):
		q := d.Quantiles
		b.Edges = append(b.Edges, q.Values...)
		prev := 0.0
		for _, p := range q.P {
			b.Probs = append(b.Probs, p-prev)
			prev = p
		}
		b.Probs = append(b.Probs, 1-prev)
	default:
		return b, errors.New("neither a histogram nor quantiles with as many values as probabilities")
	}
	return b, b.Validate()
}

// add counts one window (end time, model input, score) and returns the
// streams whose drift began or ended.
func (t *driftTracker) add(end time.Time, input []float32, score float64) []driftChange {
	if t.next.IsZero() {
		t.next = end.Add(t.interval)
	}
	for rot := 0; !end.Before(t.next); rot++ {
		if rot < driftIntervals {
			t.each(func(s *driftStream) { s.sl.Rotate() })
		}
		t.next = t.next.Add(t.interval)
		if rot >= driftIntervals { // a long gap: skip to the present
			t.next = end.Add(t.interval)
		}
	}
	if t.score != nil {
		t.score.sl.Add(score)
	}
	for i, s := range t.feats {
		if s == nil || i >= len(input) {
			continue
		}
		v := float64(input[i])
		if t.mean != nil {
			v = v*t.std[i] + t.mean[i]
		}
		s.sl.Add(v)
	}
	var out []driftChange
	t.each(func(s *driftStream) {
		if s.sl.Count() < s.min {
			return
		}
		psi, ok1 := s.sl.PSI()
		ks, ok2 := s.sl.KS()
		if !ok1 || !ok2 {
			return
		}
		s.psi, s.ks, s.valid = psi, ks, true
		if tr := s.det.Update(psi); tr != monitor.NoChange {
			out = append(out, driftChange{stream: s.name, raised: tr == monitor.Raised, psi: psi, ks: ks})
		}
	})
	return out
}

func (t *driftTracker) each(fn func(*driftStream)) {
	if t.score != nil {
		fn(t.score)
	}
	for _, s := range t.feats {
		if s != nil {
			fn(s)
		}
	}
}

// driftStat is one stream's drift, as readers see it.
type driftStat struct {
	Stream  string
	PSI, KS float64
	Active  bool
}

// stats copies the valid statistics out.
func (t *driftTracker) stats() []driftStat {
	var out []driftStat
	t.each(func(s *driftStream) {
		if s.valid {
			out = append(out, driftStat{Stream: s.name, PSI: s.psi, KS: s.ks, Active: s.det.Active()})
		}
	})
	return out
}
