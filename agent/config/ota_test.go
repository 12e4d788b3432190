package config

import (
	"strings"
	"testing"
	"time"
)

// The deployment settings take their defaults, a bundle model needs no
// preprocessing of its own, and bad values are errors naming the key.
func TestOTASettings(t *testing.T) {
	c, err := Parse("axle.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelsStore.Keep != 3 || c.ModelsStore.MaxBundleBytes != 64<<20 || c.Probation.Duration != 10*time.Minute || c.Probation.Windows != 100 {
		t.Errorf("defaults: %+v %+v", c.ModelsStore, c.Probation)
	}
	bundleModel := strings.Replace(good, "  - name: pump-anomaly\n    file: builtin:demo\n    sensor: pump\n    window: 1s\n    channels: [vib_x, vib_y, vib_z]\n    features: [rms, kurtosis]\n",
		"  - name: pump-anomaly\n    bundle: pump-anomaly\n    sensor: pump\n", 1)
	c, err = Parse("axle.yaml", []byte(bundleModel+"trust: {model_keys: [RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3]}\nprobation: {duration: 1m, windows: 10, latency_p99: 5ms}\n"))
	if err != nil {
		t.Fatalf("bundle model: %v", err)
	}
	if m := c.Models[0]; m.Bundle != "pump-anomaly" || m.File != "" || c.Probation.LatencyP99 != 5*time.Millisecond || len(c.Trust.ModelKeys) != 1 {
		t.Errorf("parsed: %+v %+v", m, c.Probation)
	}
	for _, tc := range []struct{ add, want string }{
		{"models_store: {keep: 1}\n", "models_store.keep: 1 must be at least 2"},
		{"models_store: {max_bundle_bytes: 10}\n", "models_store.max_bundle_bytes: 10 is not between"},
		{"probation: {max_alert_rate: 2}\n", "probation.max_alert_rate: 2 is not between 0 and 1"},
		{"probation: {duration: -1s}\n", "probation.duration: must be positive"},
		{"trust: {model_keys: [\"\"]}\n", "trust.model_keys[0]: is empty"},
	} {
		_, err := Parse("axle.yaml", []byte(good+tc.add))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.add, err, tc.want)
		}
	}
	both := strings.Replace(good, "    file: builtin:demo\n", "    file: builtin:demo\n    bundle: x\n", 1)
	if _, err := Parse("axle.yaml", []byte(both)); err == nil || !strings.Contains(err.Error(), "models[0].bundle: and file are exclusive") {
		t.Errorf("file and bundle: %v", err)
	}
	if err := (Probation{Duration: time.Minute, Windows: -1}).Validate("args field probation"); err == nil || !strings.Contains(err.Error(), "args field probation.windows") {
		t.Errorf("Validate: %v", err)
	}
}
