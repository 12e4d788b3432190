// Package scoring turns a stream of model scores into an alert state with
// hysteresis, so that one noisy window neither raises nor clears an alarm.
//
//	level(score): ok < warn threshold <= warn < alarm threshold <= alarm
//	state rises to level after Raise consecutive windows above the state,
//	and falls after Clear consecutive windows below it.
package scoring

import (
	"fmt"

	"github.com/axle-edge/axle/agent/fleet"
)

// Thresholds configure a Scorer. A zero threshold is disabled.
type Thresholds struct {
	Warn, Alarm  float64
	Raise, Clear int
}

// Scorer keeps the alert state of one model.
type Scorer struct {
	th       Thresholds
	state    int
	up, down int
}

// New returns a Scorer in state ok.
func New(th Thresholds) (*Scorer, error) {
	if th.Raise < 1 || th.Clear < 1 {
		return nil, fmt.Errorf("scoring: raise (%d) and clear (%d) must be at least 1", th.Raise, th.Clear)
	}
	if th.Warn > 0 && th.Alarm > 0 && th.Warn > th.Alarm {
		return nil, fmt.Errorf("scoring: warn threshold %g is above alarm threshold %g", th.Warn, th.Alarm)
	}
	return &Scorer{th: th}, nil
}

var names = [...]string{fleet.AlertOK, fleet.AlertWarn, fleet.AlertAlarm}

func (s *Scorer) level(score float64) int {
	switch {
	case s.th.Alarm > 0 && score >= s.th.Alarm:
		return 2
	case s.th.Warn > 0 && score >= s.th.Warn:
		return 1
	}
	return 0
}

// Update feeds one score and returns the alert state after it, and whether
// the state changed with this score.
func (s *Scorer) Update(score float64) (state string, changed bool) {
	l := s.level(score)
	switch {
	case l > s.state:
		s.down = 0
		s.up++
		if s.up >= s.th.Raise {
			s.state, s.up, changed = l, 0, true
		}
	case l < s.state:
		s.up = 0
		s.down++
		if s.down >= s.th.Clear {
			s.state, s.down, changed = l, 0, true
		}
	default:
		s.up, s.down = 0, 0
	}
	return names[s.state], changed
}

// State is the current alert state.
func (s *Scorer) State() string { return names[s.state] }
