package quality

import (
	"fmt"
	"math"
	"time"
)

// Backoff computes the delay before retry number attempt (0 for the first
// retry) of a failing sensor: Min·Factor^attempt, capped at Max, spread by
// ±Jitter so that many sensors failing together do not retry in lockstep.
// It is a pure value; the agent's sensor loop owns the waiting.
type Backoff struct {
	Min    time.Duration `yaml:"min"`
	Max    time.Duration `yaml:"max"`
	Factor float64       `yaml:"factor"`
	Jitter float64       `yaml:"jitter"` // fraction in [0, 1)
}

// DefaultBackoff retries after 100 ms, doubling up to a minute, ±20 %.
var DefaultBackoff = Backoff{Min: 100 * time.Millisecond, Max: time.Minute, Factor: 2, Jitter: 0.2}

// Validate reports a setting that would make no sense, naming it.
func (b Backoff) Validate() error {
	switch {
	case b.Min <= 0:
		return fmt.Errorf("quality: backoff min %v must be > 0", b.Min)
	case b.Max < b.Min:
		return fmt.Errorf("quality: backoff max %v is below min %v", b.Max, b.Min)
	case !(b.Factor >= 1 && b.Factor <= 100):
		return fmt.Errorf("quality: backoff factor %v is outside [1, 100]", b.Factor)
	case !(b.Jitter >= 0 && b.Jitter < 1):
		return fmt.Errorf("quality: backoff jitter %v is outside [0, 1)", b.Jitter)
	}
	return nil
}

// Delay returns the wait before retry attempt. u is a uniform random number
// in [0, 1) from the caller (0.5 gives the unjittered delay); the result
// stays within [Min·(1−Jitter), Max·(1+Jitter)] for any attempt.
func (b Backoff) Delay(attempt int, u float64) time.Duration {
	d := float64(b.Min) * math.Pow(b.Factor, float64(max(attempt, 0)))
	if math.IsNaN(d) || d > float64(b.Max) {
		d = float64(b.Max)
	}
	if !(u >= 0 && u < 1) {
		u = 0.5
	}
	return time.Duration(d * (1 + b.Jitter*(2*u-1)))
}
