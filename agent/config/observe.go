package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/axle-edge/axle/agent/capture"
)

// Drift configures a model's drift monitoring against its bundle's
// baseline: PSI over the last Horizon of windows, raised at MaxPSI and
// cleared below ClearPSI. A model without a baseline (a plain .tflite
// file) is not monitored for drift.
type Drift struct {
	MaxPSI   float64       `yaml:"max_psi"`   // default 0.25, the customary "significant shift"
	ClearPSI float64       `yaml:"clear_psi"` // default 0.1
	Horizon  time.Duration `yaml:"horizon"`   // default 1h
	// MinWindows is how many windows the horizon must hold before its PSI
	// counts: a handful of windows says little about a distribution. The
	// agent raises it to 4(k-1)/max_psi for a baseline of k bins, where the
	// small-sample bias of PSI stays under a quarter of max_psi.
	MinWindows int `yaml:"min_windows"` // default 30
}

// Captures configures the evidence store under <state_dir>/captures: off
// unless Budget is set.
type Captures struct {
	Budget ByteSize `yaml:"budget"`
	// Quotas bound the bytes of one trigger (alert, drift, uncertain,
	// sample, command); a trigger without one may use the whole budget.
	Quotas map[string]ByteSize `yaml:"quotas"`
	// SampleRate is the share of windows captured at random (0: none).
	SampleRate float64 `yaml:"sample_rate"`
	// UncertainBand captures windows whose score lies within this distance
	// of the model's alarm threshold (0: none).
	UncertainBand float64 `yaml:"uncertain_band"`
}

// Enabled reports whether captures are kept.
func (c *Captures) Enabled() bool { return c.Budget > 0 }

func (c *Captures) finish(e func(key, format string, args ...any) error) error {
	if c.Budget < 0 || c.Budget > 1<<40 {
		return e("captures.budget", "%d is not between 0 and 1TiB", int64(c.Budget))
	}
	for k, q := range c.Quotas {
		if !slices.Contains(capture.Triggers(), capture.Trigger(k)) {
			return e("captures.quotas", "%q is not a trigger (%v)", k, capture.Triggers())
		}
		if q <= 0 || q > c.Budget {
			return e("captures.quotas."+k, "%d is not above 0 and at most the budget %d", int64(q), int64(c.Budget))
		}
	}
	if !(c.SampleRate >= 0 && c.SampleRate <= 1) {
		return e("captures.sample_rate", "%v is not between 0 and 1", c.SampleRate)
	}
	if !(c.UncertainBand >= 0) || c.UncertainBand > 1e12 {
		return e("captures.uncertain_band", "%v is not a finite distance of at least 0", c.UncertainBand)
	}
	return nil
}

// finishObserve applies the monitoring defaults of every model and
// validates them, and the captures section.
func (c *Config) finishObserve(e func(key, format string, args ...any) error) error {
	if err := c.Captures.finish(e); err != nil {
		return err
	}
	for i := range c.Models {
		d := &c.Models[i].Drift
		k := fmt.Sprintf("models[%d].drift", i)
		if d.MaxPSI == 0 {
			d.MaxPSI = 0.25
		}
		if d.ClearPSI == 0 {
			d.ClearPSI = min(0.1, d.MaxPSI)
		}
		if d.Horizon == 0 {
			d.Horizon = time.Hour
		}
		if d.MinWindows == 0 {
			d.MinWindows = 30
		}
		switch {
		case !(d.MaxPSI > 0 && d.MaxPSI <= 10):
			return e(k+".max_psi", "%v is not above 0 and at most 10", d.MaxPSI)
		case !(d.ClearPSI > 0 && d.ClearPSI <= d.MaxPSI):
			return e(k+".clear_psi", "%v is not above 0 and at most max_psi %v", d.ClearPSI, d.MaxPSI)
		case d.Horizon < time.Second || d.Horizon > 7*24*time.Hour:
			return e(k+".horizon", "%s is not between 1s and 168h", d.Horizon)
		case d.MinWindows < 1 || d.MinWindows > 1_000_000:
			return e(k+".min_windows", "%d is not between 1 and 1000000", d.MinWindows)
		}
	}
	return nil
}
