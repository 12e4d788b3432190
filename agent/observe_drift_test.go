package agent

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
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

// withBaseline returns the signed bundle raw with base as its manifest's
// baseline, re-signed with rg's key.
func (rg *otaRig) withBaseline(raw []byte, base *bundle.Baseline) []byte {
	t := rg.t
	t.Helper()
	b, err := bundle.Open(bytes.NewReader(raw), int64(len(raw)), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := *b.Manifest
	m.Baseline = base
	var files []bundle.File
	for _, name := range []string{m.Model, "tv0.bin"} {
		data, err := b.ReadMember(name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, bundle.File{Name: name, Data: data})
	}
	var buf bytes.Buffer
	if _, err := bundle.Pack(&buf, &m, files[0], files[1:]...); err != nil {
		t.Fatal(err)
	}
	nb, err := bundle.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.Sign(rg.sk); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := nb.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDriftEventFromRunningAgent deploys a bundle whose score baseline
// lies far above what the healthy pump scores: the agent reports a drift
// event over MQTT and shows the drift in its metrics.
func TestDriftEventFromRunningAgent(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "drift-pump")
	rg.bundleOnly = true
	h := rg.start()
	base := &bundle.Baseline{Score: &bundle.Distribution{Histogram: &bundle.Histogram{Edges: []float64{100, 150, 200}, Counts: []int64{50, 50}}}}
	rg.spoolWrite("a", rg.withBaseline(rg.makeBundle(bundleOpts{version: "1.0.0", hop: 100 * time.Millisecond}), base))
	rg.waitState("1.0.0", fleet.ModelActive)
	var ev fleet.Event
	uplinktest.WaitFor(t, 30*time.Second, "a drift event", func() bool {
		rg.backend.col.mu.Lock()
		defer rg.backend.col.mu.Unlock()
		for _, e := range rg.backend.col.events {
			if e.Kind == fleet.EventDrift {
				ev = e
				return true
			}
		}
		return false
	})
	if ev.Source != "pump" || ev.Data["stream"] != "score" || ev.Data["version"] != "1.0.0" || ev.Data["psi"].(float64) < 0.25 {
		t.Errorf("drift event: %+v", ev)
	}
	var met strings.Builder
	if err := h.a.WriteMetrics(&met); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(met.String(), `axle_model_drift_active{model="pump",version="1.0.0",sensor="pump",stream="score"} 1`) {
		t.Errorf("metrics do not show the drift:\n%s", met.String())
	}
	// The metrics topic's snapshot carries it as flat keys.
	if v := h.a.metrics().Values; v["model_pump_drift_score_active"] != 1 || v["model_pump_drift_score_psi"] < 0.25 || v["model_pump_drift_score_ks"] <= 0 {
		t.Errorf("metrics message values lack the drift: %v", v)
	}
	if s := h.a.Series(time.Time{}); len(s) != 1 || !s[0].DriftActive || s[0].Drift < 0.25 {
		t.Errorf("series: %+v", s)
	}
}
