package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors/sim"
)

var pumpInput = bundle.Input{
	Channels: []string{"vib_x", "vib_y", "vib_z", "bearing_temp"},
	Window:   bundle.Duration(time.Second), Hop: bundle.Duration(time.Second),
	Features: []string{preprocess.RMS, preprocess.Peak, preprocess.Kurtosis},
}

// simWindows runs the simulated pump as fast as it computes and returns n
// one-second windows of pumpInput.
func simWindows(t *testing.T, seed uint64, n int, faults []sim.Fault) []Window {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Realtime, cfg.Faults, cfg.Start = seed, false, faults, time.Unix(0, 0)
	m, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	w, err := Features(context.Background(), m, cfg.Rate, pumpInput, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != n {
		t.Fatalf("%d windows, want %d", len(w), n)
	}
	return w
}

func rows(ws []Window) [][]float64 {
	out := make([][]float64, len(ws))
	for i, w := range ws {
		out[i] = w.Features
	}
	return out
}

// TestSimulatorBearingFault trains on the healthy simulated pump and checks
// that the new bundle alarms on a later bearing fault of another run, and
// not before it.
func TestSimulatorBearingFault(t *testing.T) {
	ctx := context.Background()
	healthy := simWindows(t, 11, 240, nil)
	res, err := Fit(ctx, Config{Name: "pump-anomaly", Version: "2", Input: pumpInput,
		Lineage: bundle.Lineage{Parent: "1", DatasetSHA256: "ab12000000000000000000000000000000000000000000000000000000000000"}},
		rows(healthy))
	if err != nil {
		t.Fatal(err)
	}
	b := packed(t, res)
	m := b.Manifest
	th := m.Output.Thresholds
	if m.Lineage.Parent != "1" || m.Lineage.Metrics["holdout_windows"] != 60 || th.Warn > th.Alarm || th.Warn <= 0 {
		t.Fatalf("manifest lineage %+v thresholds %+v", m.Lineage, th)
	}
	// 60 hold-out scores cannot resolve a rate of 0.001: the alarm is an
	// extrapolation beyond their maximum.
	sorted := sortedCopy(res.HoldOutScores)
	if th.Alarm != Threshold(sorted, 0.001) || th.Alarm <= sorted[len(sorted)-1] {
		t.Errorf("alarm %g, hold-out maximum %g", th.Alarm, sorted[len(sorted)-1])
	}

	const faultAt = 60
	run := simWindows(t, 99, 120, []sim.Fault{{Kind: sim.BearingOuter, Start: faultAt * time.Second, Ramp: 10 * time.Second, Severity: 1}})
	model, err := b.ReadMember(m.Model)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := Score(ctx, model, rows(run))
	if err != nil {
		t.Fatal(err)
	}
	positive := make([]bool, len(run))
	var falseAlarms int
	for i, s := range scores {
		positive[i] = i >= faultAt
		switch {
		case i < faultAt && s >= th.Alarm:
			falseAlarms++
		case i >= faultAt+15 && s < th.Alarm:
			t.Errorf("window %d, %d s into the fault: score %.3g below alarm %.3g", i, i-faultAt, s, th.Alarm)
		}
	}
	if falseAlarms > 1 {
		t.Errorf("%d of %d healthy windows of another run alarm (alarm %.3g); scores %.3g", falseAlarms, faultAt, th.Alarm, scores[:faultAt])
	}
	ev, err := Evaluate(scores, positive, th.Alarm)
	if err != nil {
		t.Fatal(err)
	}
	if ev.AUC < 0.9 || ev.Precision < 0.9 || ev.Recall < 0.7 {
		t.Errorf("evaluation on the faulty run: %+v", ev)
	}
	t.Logf("alarm %.3g warn %.3g; faulty run: %+v", th.Alarm, th.Warn, ev)
}

// TestFitManifest checks what Fit derives beside the model: the built
// graph against the float64 PCA, the test vectors, and the baselines.
func TestFitManifest(t *testing.T) {
	ctx := context.Background()
	healthy := rows(simWindows(t, 5, 120, nil))
	res, err := Fit(ctx, Config{Name: "pump", Version: "1.1", Input: pumpInput, FAR: 0.05, Bins: 8}, healthy)
	if err != nil {
		t.Fatal(err)
	}
	var hold [][]float64
	for i := 3; i < len(healthy); i += 4 {
		hold = append(hold, healthy[i])
	}
	for i, r := range hold {
		if want := res.PCA.Score(r); math.Abs(res.HoldOutScores[i]-want) > 1e-3*math.Max(1, want) {
			t.Fatalf("hold-out row %d: model scores %g, float64 PCA %g", i, res.HoldOutScores[i], want)
		}
	}
	sorted := sortedCopy(res.HoldOutScores)
	th := res.Manifest.Output.Thresholds
	// Warn at 10 × 0.05: 15 of 30 scores beyond it, read off the data;
	// alarm at 0.05: 1.5 beyond it, extrapolated.
	if len(sorted) != 30 || th.Warn != sorted[14] || th.Alarm != Threshold(sorted, 0.05) || th.Alarm <= sorted[27] {
		t.Errorf("thresholds %+v from sorted hold-out scores %v", th, sorted)
	}
	b := packed(t, res)
	m := b.Manifest
	if len(m.TestVectors) != 3 {
		t.Fatalf("%d test vectors", len(m.TestVectors))
	}
	for i, tv := range m.TestVectors {
		in, err := b.ReadMember(tv.Input)
		if err != nil {
			t.Fatal(err)
		}
		x, err := preprocess.Read(nil, in, res.modelInput(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.PCA.Score(x); math.Abs(got-tv.Expected[0]) > 1e-3*math.Max(1, got) {
			t.Errorf("test vector %d: expected %g, float64 PCA of its input %g", i, tv.Expected[0], got)
		}
		// As the agent's self-test: the member's bytes are the input tensor.
		if got := selfTest(t, res.Model, in); math.Abs(got-tv.Expected[0]) > tv.Tolerance {
			t.Errorf("test vector %d: model gives %g, expected %g within %g", i, got, tv.Expected[0], tv.Tolerance)
		}
	}
	if m.TestVectors[0].Expected[0] != sorted[0] || m.TestVectors[2].Expected[0] != sorted[len(sorted)-1] {
		t.Errorf("test vectors %+v: want the lowest and highest hold-out scores first and last", m.TestVectors)
	}
	// Score baseline: the histogram holds every hold-out score and, read as
	// the monitor reads it, has the bins of BaselineFromSamples.
	h := m.Baseline.Score.Histogram
	var total int64
	for _, c := range h.Counts {
		total += c
	}
	want, err := monitor.BaselineFromSamples(res.HoldOutScores, 8)
	if err != nil {
		t.Fatal(err)
	}
	if total != 30 || len(h.Edges) != len(want.Edges)+2 || h.Edges[0] > sorted[0] || h.Edges[len(h.Edges)-1] < sorted[29] {
		t.Errorf("score histogram %+v, hold-out %v", h, sorted)
	}
	for i, e := range want.Edges {
		if h.Edges[i+1] != e {
			t.Errorf("edge %d: %g, monitor %g", i+1, h.Edges[i+1], e)
		}
	}
	// bearing_temp features may be constant in a window set; every other
	// feature has a distribution named after it.
	if len(m.Baseline.Features) < 9 || m.Baseline.Features[0].Name != "vib_x.rms" {
		t.Errorf("feature baselines: %d, first %q", len(m.Baseline.Features), m.Baseline.Features[0].Name)
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	good := make([][]float64, 100)
	for i := range good {
		good[i] = make([]float64, 12)
		for j := range good[i] {
			good[i][j] = rng.NormFloat64()
		}
	}
	for name, tc := range map[string]struct {
		cfg  Config
		rows [][]float64
	}{
		"too few":       {Config{Name: "m", Version: "1", Input: pumpInput}, good[:40]},
		"short row":     {Config{Name: "m", Version: "1", Input: pumpInput}, append([][]float64{{1, 2}}, good...)},
		"far":           {Config{Name: "m", Version: "1", Input: pumpInput, FAR: 1.5}, good},
		"components":    {Config{Name: "m", Version: "1", Input: pumpInput, Components: 13}, good},
		"no features":   {Config{Name: "m", Version: "1", Input: bundle.Input{Channels: []string{"a"}}}, good},
		"NaN":           {Config{Name: "m", Version: "1", Input: pumpInput}, append([][]float64{nanRow(12)}, good...)},
		"normalize set": {Config{Name: "m", Version: "1", Input: bundle.Input{Channels: pumpInput.Channels, Features: pumpInput.Features, Normalize: &bundle.Normalize{}}}, good},
	} {
		if _, err := Fit(ctx, tc.cfg, tc.rows); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// A bad name is caught by the manifest's validation in Pack.
	res, err := Fit(ctx, Config{Name: "Bad Name", Version: "1", Input: pumpInput}, good)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Pack(&bytes.Buffer{}); err == nil {
		t.Error("Pack accepted the name \"Bad Name\"")
	}
}

func nanRow(n int) []float64 {
	r := make([]float64, n)
	r[0] = math.NaN()
	return r
}
