package quality

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/sensors"
)

// Reason says why a channel or sensor is faulty.
type Reason string

// Reasons. Channel-level: NaN, Inf, OutOfRange, Stuck. Sensor-level
// (Transition.Channel empty): Driver, ReadError, Timeout.
const (
	NaN        Reason = "nan"
	Inf        Reason = "inf"
	OutOfRange Reason = "out_of_range"
	Stuck      Reason = "stuck"
	Driver     Reason = "driver" // the driver marked the sample invalid
	ReadError  Reason = "read_error"
	Timeout    Reason = "timeout"
)

// Defaults for Limits fields left zero.
const (
	DefaultStuckSamples = 256
	DefaultClearSamples = 16
)

// ChannelLimits overrides the checks of one channel.
type ChannelLimits struct {
	// Min and Max replace the channel's physical range; either may be set alone.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// StuckSamples overrides Limits.StuckSamples for this channel.
	StuckSamples int `yaml:"stuck_samples"`
}

// Limits configures a Checker. The zero value checks NaN/Inf, the channels'
// physical ranges and stuck values with the defaults.
type Limits struct {
	// StuckSamples is how many consecutive identical values make a channel
	// stuck; 0 means DefaultStuckSamples, negative disables the check. Slow
	// coarse sensors (a 1 Hz thermometer with 0.06 degC steps) need more.
	StuckSamples int `yaml:"stuck_samples"`
	// ClearSamples is how many good samples in a row clear a raised fault;
	// 0 means DefaultClearSamples. It keeps a flapping sensor from flooding
	// the event stream.
	ClearSamples int                      `yaml:"clear_samples"`
	Channels     map[string]ChannelLimits `yaml:"channels"`
}

// Transition is a fault raised or cleared.
type Transition struct {
	Time    time.Time
	Channel string // empty for the whole sensor
	Reason  Reason
	Raised  bool   // true when raised, false when cleared
	Detail  string // what was seen, e.g. "212.4 outside [-156.9, 156.9]"
}

func (t Transition) String() string {
	state := "cleared"
	if t.Raised {
		state = "raised"
	}
	where := t.Channel
	if where == "" {
		where = "sensor"
	}
	if t.Detail == "" {
		return fmt.Sprintf("%s %s %s", where, t.Reason, state)
	}
	return fmt.Sprintf("%s %s %s: %s", where, t.Reason, state, t.Detail)
}

// per-channel state
type channel struct {
	name       string
	min, max   float64
	ranged     bool
	stuckAfter int // 0: disabled
	last       float64
	same       int // consecutive samples equal to last
	good       int // consecutive good samples
	raised     [numChannelReasons]bool
	fault      [numChannelReasons]string // precomputed Sample.Fault texts
	// checked and passed count samples since New; published to Checker.tally
	// once per Check call so the hot loop does no atomic operations.
	checked, passed int64
}

// tally is a channel's published counts, read by other goroutines.
type tally struct {
	checked, passed atomic.Int64
}

// ChannelQuality is how many samples of a channel were checked since the
// Checker was made and how many passed: the channel's own checks and the
// driver's validity flag (a sample the driver marked invalid, or one with
// the wrong number of values, fails every channel).
type ChannelQuality struct {
	Channel         string
	Checked, Passed int64
}

// Share is the fraction of checked samples that passed; ok is false before
// the first sample.
func (q ChannelQuality) Share() (share float64, ok bool) {
	if q.Checked == 0 {
		return 0, false
	}
	return float64(q.Passed) / float64(q.Checked), true
}

const (
	rNaN = iota
	rInf
	rRange
	rStuck
	numChannelReasons
)

var channelReasons = [numChannelReasons]Reason{NaN, Inf, OutOfRange, Stuck}

// Checker checks the samples of one sensor. It is used by one goroutine,
// except for Quality, which any goroutine may call.
type Checker struct {
	chans      []channel
	tally      []tally // per channel, as chans
	clearAfter int
	good       int // consecutive good samples, for sensor-level faults
	raised     map[Reason]bool
	out        []Transition
}

// New returns a checker for a sensor's channels. Limits naming an unknown
// channel or giving an empty range are errors.
func New(chans []sensors.Channel, lim Limits) (*Checker, error) {
	c := &Checker{clearAfter: lim.ClearSamples, raised: map[Reason]bool{}}
	if c.clearAfter == 0 {
		c.clearAfter = DefaultClearSamples
	}
	if c.clearAfter < 0 {
		return nil, fmt.Errorf("quality: clear_samples %d is negative", lim.ClearSamples)
	}
	known := map[string]bool{}
	for _, ch := range chans {
		known[ch.Name] = true
		st := channel{name: ch.Name, min: ch.Min, max: ch.Max, ranged: ch.Min != 0 || ch.Max != 0}
		stuck := lim.StuckSamples
		cl, ok := lim.Channels[ch.Name]
		if ok {
			if cl.Min != nil {
				st.min, st.ranged = *cl.Min, true
				if cl.Max == nil && !(ch.Min != 0 || ch.Max != 0) {
					st.max = math.Inf(1)
				}
			}
			if cl.Max != nil {
				st.max, st.ranged = *cl.Max, true
				if cl.Min == nil && !(ch.Min != 0 || ch.Max != 0) {
					st.min = math.Inf(-1)
				}
			}
			if cl.StuckSamples != 0 {
				stuck = cl.StuckSamples
			}
		}
		if st.ranged && !(st.min < st.max) {
			return nil, fmt.Errorf("quality: channel %s: range [%v, %v] is empty", ch.Name, st.min, st.max)
		}
		switch {
		case stuck == 0:
			st.stuckAfter = DefaultStuckSamples
		case stuck > 0:
			st.stuckAfter = stuck
		}
		for r, reason := range channelReasons {
			st.fault[r] = ch.Name + " " + string(reason)
		}
		c.chans = append(c.chans, st)
	}
	for name := range lim.Channels {
		if !known[name] {
			return nil, fmt.Errorf("quality: limits for unknown channel %q", name)
		}
	}
	c.tally = make([]tally, len(c.chans))
	return c, nil
}

// Quality is each channel's checked and passed counts as of the last
// completed Check, CheckBatch or failed-sample call. It is safe to call
// from any goroutine.
func (c *Checker) Quality() []ChannelQuality {
	out := make([]ChannelQuality, len(c.chans))
	for i := range c.chans {
		// passed first: it never exceeds the checked count read after it.
		p := c.tally[i].passed.Load()
		out[i] = ChannelQuality{Channel: c.chans[i].name, Checked: c.tally[i].checked.Load(), Passed: p}
	}
	return out
}

// failAll counts n samples that failed every channel.
func (c *Checker) failAll(n int) {
	for i := range c.chans {
		c.chans[i].checked += int64(n)
	}
}

// publish makes the channels' counts visible to Quality.
func (c *Checker) publish() {
	for i := range c.chans {
		c.tally[i].checked.Store(c.chans[i].checked)
		c.tally[i].passed.Store(c.chans[i].passed)
	}
}

// Check marks s invalid when a channel fails a check (s.Fault names the
// first failure) and returns the transitions it caused. The slice is reused
// by the next call.
func (c *Checker) Check(s *sensors.Sample) []Transition {
	c.out = c.out[:0]
	defer c.publish()
	if len(s.Values) != len(c.chans) {
		c.sensorBad(s.Time, Driver, fmt.Sprintf("%d values for %d channels", len(s.Values), len(c.chans)))
		c.failAll(1)
		s.Valid, s.Fault = false, string(Driver)
		return c.out
	}
	fault, ok := c.sample(s.Time, s.Values, s.Valid, s.Fault)
	if !ok {
		s.Valid = false
		if fault != "" {
			s.Fault = fault
		}
	}
	return c.out
}

// CheckBatch checks every sample of b, clearing b.Valid[i] for bad ones,
// and returns the transitions in sample order. The slice is reused by the
// next call.
func (c *Checker) CheckBatch(b *sensors.Batch) []Transition {
	c.out = c.out[:0]
	defer c.publish()
	if b.Stride != len(c.chans) || len(b.Values) < b.Len()*b.Stride || len(b.Valid) < b.Len() {
		var at time.Time
		if b.Len() > 0 {
			at = time.Unix(0, b.Times[0])
		}
		c.sensorBad(at, Driver, fmt.Sprintf("malformed batch: stride %d for %d channels, %d values, %d flags for %d samples",
			b.Stride, len(c.chans), len(b.Values), len(b.Valid), b.Len()))
		c.failAll(b.Len())
		for i := range min(len(b.Valid), b.Len()) {
			b.Valid[i] = false
		}
		return c.out
	}
	for i := range b.Len() {
		if _, ok := c.sample(time.Unix(0, b.Times[i]), b.Values[i*b.Stride:(i+1)*b.Stride], b.Valid[i], ""); !ok {
			b.Valid[i] = false
		}
	}
	return c.out
}

// ReadFailed records a failed read at time at: a sensor-level Timeout when
// err is a deadline, ReadError otherwise. Good samples clear it.
func (c *Checker) ReadFailed(at time.Time, err error) []Transition {
	c.out = c.out[:0]
	reason := ReadError
	if errors.Is(err, context.DeadlineExceeded) {
		reason = Timeout
	}
	c.sensorBad(at, reason, err.Error())
	return c.out
}

// Faulty reports whether any fault is raised.
func (c *Checker) Faulty() bool {
	for _, r := range c.raised {
		if r {
			return true
		}
	}
	for i := range c.chans {
		for _, r := range c.chans[i].raised {
			if r {
				return true
			}
		}
	}
	return false
}

func (c *Checker) sensorBad(at time.Time, r Reason, detail string) {
	c.good = 0
	if !c.raised[r] {
		c.raised[r] = true
		c.out = append(c.out, Transition{Time: at, Reason: r, Raised: true, Detail: detail})
	}
}

// sample checks one sample's values; driverOK and driverFault are what the
// driver said. It returns the fault text of the first failure and whether
// the sample is good.
func (c *Checker) sample(at time.Time, vals []float64, driverOK bool, driverFault string) (string, bool) {
	fault := ""
	for i := range c.chans {
		ch := &c.chans[i]
		v := vals[i]
		ch.checked++
		bad := -1
		switch {
		case math.IsNaN(v):
			bad = rNaN
		case math.IsInf(v, 0):
			bad = rInf
		case ch.ranged && (v < ch.min || v > ch.max):
			bad = rRange
		}
		if v == ch.last {
			ch.same++
		} else {
			ch.last, ch.same = v, 1
		}
		if bad < 0 && ch.stuckAfter > 0 && ch.same >= ch.stuckAfter {
			bad = rStuck
		}
		if bad < 0 {
			if driverOK {
				ch.passed++
			}
			ch.good++
			if ch.good == c.clearAfter {
				c.clearChannel(at, ch)
			}
			continue
		}
		ch.good = 0
		if fault == "" {
			fault = ch.fault[bad]
		}
		if !ch.raised[bad] {
			ch.raised[bad] = true
			c.out = append(c.out, Transition{Time: at, Channel: ch.name, Reason: channelReasons[bad], Raised: true,
				Detail: c.detail(ch, bad, v)})
		}
	}
	if fault == "" && !driverOK {
		// The driver knows something the values do not show.
		c.sensorBad(at, Driver, driverFault)
		return "", false
	}
	if fault != "" {
		return fault, false
	}
	c.good++
	if c.good == c.clearAfter {
		for _, r := range [...]Reason{Driver, ReadError, Timeout} {
			if c.raised[r] {
				c.raised[r] = false
				c.out = append(c.out, Transition{Time: at, Reason: r})
			}
		}
	}
	return "", true
}

func (c *Checker) clearChannel(at time.Time, ch *channel) {
	for r := range ch.raised {
		if ch.raised[r] {
			ch.raised[r] = false
			c.out = append(c.out, Transition{Time: at, Channel: ch.name, Reason: channelReasons[r]})
		}
	}
}

func (c *Checker) detail(ch *channel, bad int, v float64) string {
	switch bad {
	case rRange:
		return fmt.Sprintf("%g outside [%g, %g]", v, ch.min, ch.max)
	case rStuck:
		return fmt.Sprintf("%g unchanged for %d samples", v, ch.same)
	}
	return fmt.Sprint(v)
}
