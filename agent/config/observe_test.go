package config

import (
	"strings"
	"testing"
	"time"
)

func TestDriftDefaultsAndSettings(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Models[0].Drift; d.MaxPSI != 0.25 || d.ClearPSI != 0.1 || d.Horizon != time.Hour || d.MinWindows != 30 {
		t.Errorf("defaults: %+v", d)
	}
	c, err = Parse("axle.yaml", []byte(good+"    drift: {max_psi: 0.5, clear_psi: 0.2, horizon: 10m, min_windows: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Models[0].Drift; d.MaxPSI != 0.5 || d.ClearPSI != 0.2 || d.Horizon != 10*time.Minute || d.MinWindows != 5 {
		t.Errorf("drift: %+v", d)
	}
}

func TestDriftErrorsNameKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"    drift: {max_psi: -1}\n", "models[0].drift.max_psi: -1 is not above 0"},
		{"    drift: {max_psi: 0.2, clear_psi: 0.3}\n", "models[0].drift.clear_psi: 0.3 is not above 0 and at most max_psi 0.2"},
		{"    drift: {horizon: 10ms}\n", "models[0].drift.horizon: 10ms is not between"},
		{"    drift: {min_windows: -3}\n", "models[0].drift.min_windows: -3 is not between"},
		{"    drift: {max_pzi: 1}\n", "max_pzi"},
	} {
		_, err := Parse("axle.yaml", []byte(good+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
}

func TestCapturesSection(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good+"captures: {budget: 64MiB, quotas: {sample: 8MiB}, sample_rate: 0.01, uncertain_band: 0.5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cp := c.Captures; !cp.Enabled() || cp.Budget != 64<<20 || cp.Quotas["sample"] != 8<<20 || cp.SampleRate != 0.01 || cp.UncertainBand != 0.5 {
		t.Errorf("captures: %+v", cp)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"captures: {budget: 1MiB, quotas: {often: 1KiB}}\n", `captures.quotas: "often" is not a trigger`},
		{"captures: {budget: 1MiB, quotas: {alert: 2MiB}}\n", "captures.quotas.alert: 2097152 is not above 0 and at most the budget"},
		{"captures: {budget: 1MiB, sample_rate: 2}\n", "captures.sample_rate: 2 is not between 0 and 1"},
		{"captures: {budget: 1MiB, uncertain_band: -1}\n", "captures.uncertain_band: -1"},
	} {
		if _, err := Parse("axle.yaml", []byte(good+tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
