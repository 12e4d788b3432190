package demomodel

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/train/pca"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sim"
)

func TestCommittedModelMatchesGenerator(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		// Other architectures may fuse multiply-adds in the simulator and
		// the fit, which changes the last bits; the files are made on amd64.
		t.Skip("the committed model is generated on amd64")
	}
	model, meta, err := Generate(DefaultRecipe)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(model, TFLite()) {
		t.Error("demo.tflite differs from the generator output: run `make model` and commit")
	}
	if !bytes.Equal(meta, metaJSON) {
		t.Errorf("demo.json differs from the generator output: run `make model` and commit\n%s", meta)
	}
	if info := Info(); info.Alarm <= info.Warn || info.Warn <= info.Thresholds.HealthyMax {
		t.Errorf("thresholds out of order: %+v", info)
	}
}

// windows simulates the pump (optionally with a bearing fault) and returns
// the model's score for each one-second window, run through the pure-Go
// interpreter, plus the float64 reference score of the same window.
func windows(t *testing.T, seed uint64, n int, faults []sim.Fault) (got, want []float64) {
	t.Helper()
	info := Info()
	m, err := tflite.Load(TFLite(), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Rate, cfg.Realtime, cfg.Faults, cfg.Start = seed, info.Rate, false, faults, time.Unix(0, 0)
	machine, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer machine.Close()
	var names []string
	for _, c := range machine.Channels() {
		names = append(names, c.Name)
	}
	idx, err := preprocess.ChannelIndex(names, info.Channels)
	if err != nil {
		t.Fatal(err)
	}
	w, err := preprocess.New(preprocess.Spec{Channels: idx, Window: int(info.Rate), Hop: int(info.Rate), Features: info.Features})
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, w.Len())
	s := sensors.Sample{Values: make([]float64, len(names))}
	ref := reference(t, m)
	for len(got) < n {
		if err := machine.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		if ready, _ := w.Push(s.Time.UnixNano(), s.Values, s.Valid); !ready {
			continue
		}
		w.Compute(vec)
		if err := preprocess.Fill(m.Input(0), vec, m.Inputs()[0]); err != nil {
			t.Fatal(err)
		}
		if err := m.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		got = append(got, float64(models.Float32s(m.Output(0))[0]))
		x := make([]float64, len(vec))
		for i, v := range vec {
			x[i] = float64(v)
		}
		want = append(want, ref.Score(x))
	}
	return got, want
}

// reference refits the recipe to get the float64 parameters.
func reference(t *testing.T, _ models.Model) *pca.Model {
	t.Helper()
	train, err := healthyFeatures(DefaultRecipe, DefaultRecipe.Seed)
	if err != nil {
		t.Fatal(err)
	}
	fit, err := pca.Fit(train, DefaultRecipe.Components)
	if err != nil {
		t.Fatal(err)
	}
	return fit
}

func TestInterpreterMatchesReferenceAndFaultAlarms(t *testing.T) {
	info := Info()
	healthy, ref := windows(t, 99, 30, nil)
	for i := range healthy {
		if math.Abs(healthy[i]-ref[i]) > 1e-3*math.Max(1, ref[i]) {
			t.Fatalf("window %d: interpreter %g, float64 reference %g", i, healthy[i], ref[i])
		}
		if healthy[i] >= info.Warn {
			t.Errorf("healthy window %d scores %g, at or above warn %g", i, healthy[i], info.Warn)
		}
	}
	faulty, _ := windows(t, 99, 40, []sim.Fault{{Kind: sim.BearingOuter, Start: 20 * time.Second, Ramp: 10 * time.Second, Severity: 1}})
	first := -1
	for i, s := range faulty {
		if s >= info.Alarm {
			first = i
			break
		}
	}
	if first < 20 || first > 32 {
		t.Fatalf("a bearing fault from 20 s first crossed the alarm (%g) in window %d; scores %v", info.Alarm, first, faulty)
	}
	t.Logf("fault crosses alarm at window %d (score %.1f, alarm %.1f)", first, faulty[first], info.Alarm)
}
