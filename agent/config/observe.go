package config

import (
	"fmt"
	"time"
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

// finishObserve applies the monitoring defaults of every model and
// validates them.
func (c *Config) finishObserve(e func(key, format string, args ...any) error) error {
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
