package sim

import (
	"fmt"
	"math"
	"time"
)

// Kind names a machine fault.
type Kind string

// Fault kinds. Mechanical kinds change the vibration signature (and heat the
// bearing); Dropout and Stuck are sensor faults that corrupt the readings.
const (
	Imbalance    Kind = "imbalance"     // 1× radial, rotating with the shaft
	Misalignment Kind = "misalignment"  // 2× radial, strong 1×/2× axial
	BearingOuter Kind = "bearing_outer" // impacts at BPFO ringing a structural resonance
	BearingInner Kind = "bearing_inner" // impacts at BPFI, modulated at 1× by the load zone
	Looseness    Kind = "looseness"     // many 1× harmonics and ½× sub-harmonics
	Overheating  Kind = "overheating"   // bearing temperature and motor current rise
	Dropout      Kind = "dropout"       // channel reads NaN in 100 ms blocks, with probability severity
	Stuck        Kind = "stuck"         // channel repeats the value it had when the fault began
)

// Indices into kinds, for per-sample bookkeeping without map lookups.
const (
	kImbalance = iota
	kMisalignment
	kOuter
	kInner
	kLoose
	kHeat
	kDropout
	kStuck
	numKinds
)

var kinds = [numKinds]Kind{Imbalance, Misalignment, BearingOuter, BearingInner, Looseness, Overheating, Dropout, Stuck}

func kindIndex(k Kind) int {
	for i, kk := range kinds {
		if kk == k {
			return i
		}
	}
	return -1
}

// MaxSeverity bounds Fault.Severity; 1 is a developed fault.
const MaxSeverity = 10

// Fault is a fault injected on a schedule (Config.Faults, the "faults"
// option) or on command (Machine.Inject).
type Fault struct {
	Kind Kind `yaml:"kind"`
	// Start is the simulated time since the first sample at which the fault
	// begins. For Inject it is a delay from the next sample to be generated.
	Start time.Duration `yaml:"start"`
	// Ramp is how long the fault takes to grow linearly from nothing to
	// Severity; 0 is a step. Ignored by Dropout and Stuck.
	Ramp time.Duration `yaml:"ramp"`
	// Duration ends the fault after that long; 0 keeps it to the end.
	Duration time.Duration `yaml:"duration"`
	// Severity scales the fault: 1 is a developed fault, up to MaxSeverity.
	// For Dropout it is the probability (capped at 1) that a 100 ms block drops.
	Severity float64 `yaml:"severity"`
	// Channel limits Dropout and Stuck to one channel; empty means every
	// channel. Other kinds affect the whole machine and must leave it empty.
	Channel string `yaml:"channel"`
}

func (f *Fault) validate() error {
	switch {
	case kindIndex(f.Kind) < 0:
		return fmt.Errorf("kind %q is not one of %v", f.Kind, kinds)
	case f.Start < 0:
		return fmt.Errorf("%s: start %v is negative", f.Kind, f.Start)
	case f.Ramp < 0:
		return fmt.Errorf("%s: ramp %v is negative", f.Kind, f.Ramp)
	case f.Duration < 0:
		return fmt.Errorf("%s: duration %v is negative", f.Kind, f.Duration)
	case math.IsNaN(f.Severity) || f.Severity <= 0 || f.Severity > MaxSeverity:
		return fmt.Errorf("%s: severity %v is outside (0, %d]", f.Kind, f.Severity, MaxSeverity)
	}
	if f.Channel != "" {
		if f.Kind != Dropout && f.Kind != Stuck {
			return fmt.Errorf("%s: channel applies only to %s and %s", f.Kind, Dropout, Stuck)
		}
		if channelIndex(f.Channel) < 0 {
			return fmt.Errorf("%s: unknown channel %q", f.Kind, f.Channel)
		}
	}
	return nil
}

// level is the fault's strength at simulated time t (seconds).
func (f *Fault) level(t float64) float64 {
	start := f.Start.Seconds()
	if t < start || (f.Duration > 0 && t >= start+f.Duration.Seconds()) {
		return 0
	}
	if f.Ramp <= 0 {
		return f.Severity
	}
	return f.Severity * math.Min(1, (t-start)/f.Ramp.Seconds())
}
