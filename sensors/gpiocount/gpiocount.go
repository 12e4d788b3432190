// Package gpiocount measures shaft speed by counting edges of a tachometer
// or proximity-switch signal on a GPIO pin.
//
//	pin ─ edge ─ edge ─ edge ─┐  one Read = one window
//	     t1     t2 …    tn    │  rate = (n−1)/(tn−t1) when the edges span at least half
//	                          │  the window (precise for steady signals), else n/window
//	rpm = rate / pulses_per_rev × 60
//
// Edges come from periph's gpio.PinIn.WaitForEdge (the kernel's GPIO
// character device on Linux), which runs on the real clock, so windows are
// timed with time.Now. WaitForEdge is called in slices of at most 50 ms so
// that a cancelled context ends a window promptly. No edge in a window is a
// stopped machine (0 rpm), not a fault.
package gpiocount

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/axle-edge/axle/sensors"
)

// ErrClosed is returned by a Counter used after Close.
var ErrClosed = errors.New("gpiocount: closed")

// Config sets up edge counting.
type Config struct {
	Edge         gpio.Edge // gpio.RisingEdge, FallingEdge or BothEdges
	Pull         gpio.Pull
	PulsesPerRev float64       // edges per shaft revolution
	Window       time.Duration // one reading
	Name         string        // channel name, default "rpm"
	MaxRPM       float64       // channel range; 0 for none
	// Now times the edges; nil is time.Now (tests pass a clock of their own).
	Now func() time.Time
}

// Counter counts edges on a pin. It implements sensors.Sensor and is used
// by one goroutine.
type Counter struct {
	pin    gpio.PinIn
	cfg    Config
	chans  []sensors.Channel
	closed bool
}

// waitSlice bounds one WaitForEdge so that ctx is checked often.
const waitSlice = 50 * time.Millisecond

// New configures pin as an input with edge detection.
func New(pin gpio.PinIn, cfg Config) (*Counter, error) {
	switch {
	case cfg.Edge != gpio.RisingEdge && cfg.Edge != gpio.FallingEdge && cfg.Edge != gpio.BothEdges:
		return nil, fmt.Errorf("gpiocount: option edge: %v is not rising, falling or both", cfg.Edge)
	case !(cfg.PulsesPerRev > 0 && cfg.PulsesPerRev <= 10000):
		return nil, fmt.Errorf("gpiocount: option pulses_per_rev: %v is outside (0, 10000]", cfg.PulsesPerRev)
	case cfg.Window < 10*time.Millisecond || cfg.Window > time.Hour:
		return nil, fmt.Errorf("gpiocount: rate: window %v is outside [10ms, 1h]", cfg.Window)
	case cfg.MaxRPM < 0 || math.IsNaN(cfg.MaxRPM):
		return nil, fmt.Errorf("gpiocount: option max_rpm: %v is negative", cfg.MaxRPM)
	}
	if cfg.Name == "" {
		cfg.Name = "rpm"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := pin.In(cfg.Pull, cfg.Edge); err != nil {
		return nil, fmt.Errorf("gpiocount: %s: edge detection: %w", pin, err)
	}
	ch := sensors.Channel{Name: cfg.Name, Unit: "rpm"}
	if cfg.MaxRPM > 0 {
		ch.Max = cfg.MaxRPM
	}
	return &Counter{pin: pin, cfg: cfg, chans: []sensors.Channel{ch}}, nil
}

// Channels returns the speed channel in rpm.
func (c *Counter) Channels() []sensors.Channel { return c.chans }

// Read counts edges for one window and returns the speed.
func (c *Counter) Read(ctx context.Context, s *sensors.Sample) error {
	if c.closed {
		return ErrClosed
	}
	now := c.cfg.Now()
	start, end := now, now.Add(c.cfg.Window)
	var n int
	var first, last time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := end.Sub(now)
		if left <= 0 {
			break
		}
		edge := c.pin.WaitForEdge(min(left, waitSlice))
		now = c.cfg.Now()
		if edge {
			if n == 0 {
				first = now
			}
			last = now
			n++
		}
	}
	rate := float64(n) / now.Sub(start).Seconds()
	if span := last.Sub(first); n >= 3 && span >= c.cfg.Window/2 {
		rate = float64(n-1) / span.Seconds()
	}
	if cap(s.Values) < 1 {
		s.Values = make([]float64, 1)
	}
	s.Values = s.Values[:1]
	s.Values[0] = rate / c.cfg.PulsesPerRev * 60
	s.Time, s.Valid, s.Fault = now, true, ""
	return nil
}

// Close stops edge detection on the pin.
func (c *Counter) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if err := c.pin.In(c.cfg.Pull, gpio.NoEdge); err != nil {
		return fmt.Errorf("gpiocount: %s: stop edge detection: %w", c.pin, err)
	}
	return nil
}

// Options is the "gpiocount" driver's options block; the window is 1/rate:
//
//	driver: gpiocount
//	rate: 1
//	options: {pin: GPIO17, edge: rising, pull: up, pulses_per_rev: 2}
type Options struct {
	Pin          string  `yaml:"pin"`
	Edge         string  `yaml:"edge"` // rising (default), falling, both
	Pull         string  `yaml:"pull"` // none (default), up, down
	PulsesPerRev float64 `yaml:"pulses_per_rev"`
	Name         string  `yaml:"name"`
	MaxRPM       float64 `yaml:"max_rpm"`
}

// Open is the sensors.Opener of the "gpiocount" driver; default rate 1 Hz.
func Open(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("gpiocount: %w", err)
		}
	}
	cfg := Config{PulsesPerRev: o.PulsesPerRev, Name: o.Name, MaxRPM: o.MaxRPM, Window: time.Second}
	if cfg.PulsesPerRev == 0 {
		cfg.PulsesPerRev = 1
	}
	if spec.Rate < 0 || math.IsNaN(spec.Rate) || math.IsInf(spec.Rate, 0) {
		return nil, fmt.Errorf("gpiocount: rate: %v must be > 0", spec.Rate)
	}
	if spec.Rate > 0 {
		cfg.Window = time.Duration(float64(time.Second) / spec.Rate)
	}
	switch strings.ToLower(o.Edge) {
	case "", "rising":
		cfg.Edge = gpio.RisingEdge
	case "falling":
		cfg.Edge = gpio.FallingEdge
	case "both":
		cfg.Edge = gpio.BothEdges
	default:
		return nil, fmt.Errorf("gpiocount: option edge: %q is not rising, falling or both", o.Edge)
	}
	switch strings.ToLower(o.Pull) {
	case "", "none":
		cfg.Pull = gpio.Float
	case "up":
		cfg.Pull = gpio.PullUp
	case "down":
		cfg.Pull = gpio.PullDown
	default:
		return nil, fmt.Errorf("gpiocount: option pull: %q is not none, up or down", o.Pull)
	}
	if o.Pin == "" {
		return nil, fmt.Errorf("gpiocount: option pin: missing")
	}
	pin, err := buses.GPIO(o.Pin)
	if err != nil {
		return nil, fmt.Errorf("gpiocount: option pin: %w", err)
	}
	return New(pin, cfg)
}
