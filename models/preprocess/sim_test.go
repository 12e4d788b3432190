package preprocess_test

import (
	"context"
	"testing"
	"time"

	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sim"
)

// The project's pump simulator develops an outer-race defect after one
// second: the envelope at its BPFO (SKF 6205 at 1480 rpm: 88.4 Hz) around
// its structural resonance (960 Hz at 3200 samples/s) must rise, and not at
// a frequency where the machine has no defect.
func TestSimulatedOuterRaceFault(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Realtime = false
	cfg.Seed = 11
	cfg.Channels = []string{"vib_x"}
	cfg.Faults = []sim.Fault{{Kind: sim.BearingOuter, Start: time.Second, Severity: 1}}
	m, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	w, err := preprocess.New(preprocess.Spec{Channels: []int{0}, Window: 3200, Hop: 3200, Rate: cfg.Rate, Features: []string{
		"envelope(lo=700, hi=1200, freq=88.4, tol=2, harmonics=3)",
		"envelope(lo=700, hi=1200, freq=70, tol=2, harmonics=3)",
		"band_energy(lo=700, hi=1200)",
		preprocess.CrestFactor,
	}})
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	var windows [][]float32
	for len(windows) < 2 {
		if err := m.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		ready, err := w.Push(s.Time.UnixNano(), s.Values, s.Valid)
		if err != nil {
			t.Fatal(err)
		}
		if ready {
			out := make([]float32, w.Len())
			if err := w.Compute(out); err != nil {
				t.Fatal(err)
			}
			windows = append(windows, out)
		}
	}
	healthy, faulty := windows[0], windows[1]
	t.Logf("healthy %v\nfaulty  %v", healthy, faulty)
	if faulty[0] < 5*healthy[0] {
		t.Errorf("envelope at BPFO: faulty %g is not 5× healthy %g", faulty[0], healthy[0])
	}
	if faulty[0] < 3*faulty[1] {
		t.Errorf("faulty envelope at BPFO %g is not 3× the one at 70 Hz %g", faulty[0], faulty[1])
	}
	if faulty[2] <= healthy[2] || faulty[3] <= healthy[3] {
		t.Errorf("resonance band energy %g → %g and crest factor %g → %g must rise", healthy[2], faulty[2], healthy[3], faulty[3])
	}
}
