package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Bearing is rolling-element bearing geometry; it sets the defect
// frequencies BPFO = n/2·fr·(1 − d/D·cos φ) and BPFI = n/2·fr·(1 + d/D·cos φ).
type Bearing struct {
	Balls         int     `yaml:"balls"`          // number of rolling elements n
	BallDiameter  float64 `yaml:"ball_diameter"`  // d, mm
	PitchDiameter float64 `yaml:"pitch_diameter"` // D, mm
	ContactAngle  float64 `yaml:"contact_angle"`  // φ, degrees
}

// defectFrequencies returns BPFO and BPFI in Hz for shaft frequency fr.
func (b Bearing) defectFrequencies(fr float64) (bpfo, bpfi float64) {
	ratio := b.BallDiameter / b.PitchDiameter * math.Cos(b.ContactAngle*math.Pi/180)
	half := float64(b.Balls) / 2 * fr
	return half * (1 - ratio), half * (1 + ratio)
}

func (b Bearing) validate() error {
	switch {
	case b.Balls < 3 || b.Balls > 100:
		return fmt.Errorf("bearing.balls: %d is outside [3, 100]", b.Balls)
	case !(b.BallDiameter > 0):
		return fmt.Errorf("bearing.ball_diameter: %v must be > 0", b.BallDiameter)
	case !(b.PitchDiameter > b.BallDiameter):
		return fmt.Errorf("bearing.pitch_diameter: %v must exceed ball_diameter %v", b.PitchDiameter, b.BallDiameter)
	case !(b.ContactAngle >= 0 && b.ContactAngle < 90):
		return fmt.Errorf("bearing.contact_angle: %v is outside [0, 90) degrees", b.ContactAngle)
	}
	return nil
}

// Config describes a simulated pump. Start from DefaultConfig.
type Config struct {
	Rate     float64 // samples per second of every channel
	Seed     uint64
	Realtime bool          // pace samples by Clock; false generates as fast as the consumer takes them
	Burst    time.Duration // span of one Stream batch
	RPM      float64       // shaft speed
	Blades   int           // impeller vanes: blade-pass frequency = Blades × 1×
	Noise    float64       // scale of all measurement noise; 0 is noiseless
	Bearing  Bearing
	Channels []string // subset of the pump channels, in this order; empty = all
	Faults   []Fault
	Clock    pace.Clock // nil = pace.Wall{}
	// Start is the time of the first sample; zero = Clock.Now() at the
	// first Read or Stream.
	Start time.Time
}

// Defaults of the pump profile: a 4-pole motor at 1480 rpm driving a
// 5-vane impeller on SKF 6205 deep-groove ball bearings.
const (
	DefaultRate  = 3200
	DefaultBurst = 20 * time.Millisecond
	DefaultRPM   = 1480
	DefaultBlade = 5
)

// DefaultConfig returns the pump profile with its defaults, in real time.
func DefaultConfig() Config {
	return Config{
		Rate:     DefaultRate,
		Realtime: true,
		Burst:    DefaultBurst,
		RPM:      DefaultRPM,
		Blades:   DefaultBlade,
		Noise:    1,
		Bearing:  Bearing{Balls: 9, BallDiameter: 7.94, PitchDiameter: 39.04},
	}
}

// Options is the sensor's options block in the agent config:
//
//	driver: sim
//	rate: 3200
//	options:
//	  seed: 7
//	  realtime: true
//	  faults:
//	    - {kind: bearing_outer, start: 20s, ramp: 10s, severity: 1.0}
//
// Absent keys keep DefaultConfig values.
type Options struct {
	Profile  string        `yaml:"profile"` // "pump", the only profile
	Seed     uint64        `yaml:"seed"`
	Realtime *bool         `yaml:"realtime"`
	Burst    time.Duration `yaml:"burst"`
	RPM      float64       `yaml:"rpm"`
	Blades   int           `yaml:"blades"`
	Noise    *float64      `yaml:"noise"`
	Bearing  *Bearing      `yaml:"bearing"`
	Channels []string      `yaml:"channels"`
	Faults   []Fault       `yaml:"faults"`
}

// ConfigFromSpec decodes and validates a spec's options into a Config.
func ConfigFromSpec(spec sensors.Spec) (Config, error) {
	cfg := DefaultConfig()
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return cfg, fmt.Errorf("sim: %w", err)
		}
	}
	if o.Profile != "" && o.Profile != "pump" {
		return cfg, fmt.Errorf("sim: option profile: %q is not a known profile (pump)", o.Profile)
	}
	if spec.Rate != 0 {
		cfg.Rate = spec.Rate
	}
	cfg.Seed = o.Seed
	if o.Realtime != nil {
		cfg.Realtime = *o.Realtime
	}
	if o.Burst != 0 {
		cfg.Burst = o.Burst
	}
	if o.RPM != 0 {
		cfg.RPM = o.RPM
	}
	if o.Blades != 0 {
		cfg.Blades = o.Blades
	}
	if o.Noise != nil {
		cfg.Noise = *o.Noise
	}
	if o.Bearing != nil {
		cfg.Bearing = *o.Bearing
	}
	cfg.Channels = o.Channels
	cfg.Faults = o.Faults
	if err := cfg.validate(); err != nil {
		return cfg, fmt.Errorf("sim: %w", err)
	}
	return cfg, nil
}

// validate names the option at fault in the agent config's terms.
func (c *Config) validate() error {
	switch {
	case !(c.Rate >= 1 && c.Rate <= 1e6):
		return fmt.Errorf("rate: %v is outside [1, 1e6] Hz", c.Rate)
	case c.Burst < time.Millisecond || c.Burst > time.Second:
		return fmt.Errorf("option burst: %v is outside [1ms, 1s]", c.Burst)
	case !(c.RPM >= 1 && c.RPM <= 60000):
		return fmt.Errorf("option rpm: %v is outside [1, 60000]", c.RPM)
	case c.Blades < 1 || c.Blades > 64:
		return fmt.Errorf("option blades: %d is outside [1, 64]", c.Blades)
	case !(c.Noise >= 0 && c.Noise <= 100):
		return fmt.Errorf("option noise: %v is outside [0, 100]", c.Noise)
	}
	if err := c.Bearing.validate(); err != nil {
		return fmt.Errorf("option %w", err)
	}
	seen := map[string]bool{}
	for i, name := range c.Channels {
		if channelIndex(name) < 0 {
			return fmt.Errorf("option channels[%d]: unknown channel %q", i, name)
		}
		if seen[name] {
			return fmt.Errorf("option channels[%d]: %q listed twice", i, name)
		}
		seen[name] = true
	}
	for i := range c.Faults {
		if err := c.Faults[i].validate(); err != nil {
			return fmt.Errorf("option faults[%d]: %w", i, err)
		}
	}
	return nil
}

// Validate is the sensors.Validator of the "sim" driver: ConfigFromSpec
// already checks every option and touches nothing else.
func Validate(spec sensors.Spec) error {
	_, err := ConfigFromSpec(spec)
	return err
}
