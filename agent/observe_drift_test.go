package agent

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models/bundle"
)

// uniformHist is a histogram baseline of a uniform distribution on [lo, hi)
// in n bins.
func uniformHist(lo, hi float64, n int) *bundle.Histogram {
	h := &bundle.Histogram{}
	for i := 0; i <= n; i++ {
		h.Edges = append(h.Edges, lo+(hi-lo)*float64(i)/float64(n))
	}
	for range n {
		h.Counts = append(h.Counts, 100)
	}
	return h
}

func driftModel() config.Model {
	return config.Model{Name: "m", Version: "1", Channels: []string{"a", "b"}, Features: []string{"rms"},
		Drift: config.Drift{MaxPSI: 0.25, ClearPSI: 0.1, Horizon: 12 * time.Second, MinWindows: 20}}
}

// TestDriftRaisesAndClears (a 12 s horizon holds 480 windows) feeds a tracker windows from the baseline's
// distribution, then from a shifted one (drift raised once, for the
// drifted streams only), then from the baseline again (cleared once the
// shifted windows left the horizon).
func TestDriftRaisesAndClears(t *testing.T) {
	base := &bundle.Baseline{
		Score:    &bundle.Distribution{Histogram: uniformHist(0, 1, 10)},
		Features: []bundle.Distribution{{Name: "b.rms", Quantiles: &bundle.Quantiles{P: []float64{0.25, 0.5, 0.75}, Values: []float64{2.5, 5, 7.5}}}},
	}
	tr, err := newDriftTracker(driftModel(), base)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	now := time.Unix(1000, 0)
	feed := func(n int, shift float64) (raised, cleared []string) {
		for range n {
			now = now.Add(25 * time.Millisecond)
			in := []float32{float32(rng.Float64() * 99), float32(rng.Float64()*10 + shift*10)}
			for _, c := range tr.add(now, in, rng.Float64()+shift) {
				if c.raised {
					raised = append(raised, c.stream)
				} else {
					cleared = append(cleared, c.stream)
				}
			}
		}
		return raised, cleared
	}
	if r, c := feed(600, 0); len(r)+len(c) != 0 {
		t.Fatalf("in-distribution windows changed drift: raised %v cleared %v", r, c)
	}
	for _, s := range tr.stats() {
		if s.PSI > 0.1 || s.Active {
			t.Errorf("in distribution: %+v", s)
		}
	}
	r, c := feed(600, 0.5)
	if strings.Join(r, ",") != "score,b.rms" || len(c) != 0 {
		t.Fatalf("shifted windows: raised %v cleared %v, want score and b.rms raised once", r, c)
	}
	for _, s := range tr.stats() {
		if s.PSI < 0.25 || !s.Active || s.KS <= 0 {
			t.Errorf("shifted: %+v", s)
		}
	}
	r, c = feed(900, 0)
	if len(r) != 0 || strings.Join(c, ",") != "score,b.rms" {
		t.Fatalf("back in distribution: raised %v cleared %v, want both cleared once", r, c)
	}
}

func TestDriftBaselineErrors(t *testing.T) {
	for _, tc := range []struct {
		b    bundle.Baseline
		want string
	}{
		{bundle.Baseline{Features: []bundle.Distribution{{Name: "c.rms", Histogram: uniformHist(0, 1, 4)}}}, `baseline feature "c.rms" is not an input`},
		{bundle.Baseline{Score: &bundle.Distribution{Histogram: &bundle.Histogram{Edges: []float64{0, 1}, Counts: []int64{3}}}}, "want at least 2 bins"},
		{bundle.Baseline{Score: &bundle.Distribution{Histogram: &bundle.Histogram{Edges: []float64{0, 1, 2}, Counts: []int64{0, 0}}}}, "no counts"},
		{bundle.Baseline{Score: &bundle.Distribution{}}, "neither a histogram nor quantiles"},
		{bundle.Baseline{Score: &bundle.Distribution{Quantiles: &bundle.Quantiles{P: []float64{0.5, 0.9}, Values: []float64{3, 1}}}}, "edges[1]"},
	} {
		if _, err := newDriftTracker(driftModel(), &tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.b, err, tc.want)
		}
	}
	if tr, err := newDriftTracker(driftModel(), nil); tr != nil || err != nil {
		t.Errorf("no baseline: %v %v", tr, err)
	}
}
