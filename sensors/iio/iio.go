package iio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// ErrClosed is returned by a sensor used after Close.
var ErrClosed = errors.New("iio: closed")

// Config selects an IIO device and its channels.
type Config struct {
	SysRoot  string   // default DefaultSysRoot
	DevRoot  string   // default DefaultDevRoot
	Device   string   // "iio:device0" or the device's name attribute, e.g. "adxl345"
	Channels []string // IIO channel names without in_ and _raw: "accel_x", "voltage0"; empty = all
	Names    []string // channel names to report instead, one per channel
	// Rate: samples per second. Polled: how often the sysfs files are read
	// (default 10). Buffered: written to the device's sampling_frequency
	// when it has one (0 keeps the device's setting).
	Rate     float64
	Buffered bool   // read scans from /dev/iio:deviceN instead of polling sysfs
	Trigger  string // buffered: trigger to attach (trigger/current_trigger)
	Length   int    // buffered: kernel buffer length in scans (0 keeps it)
	Timeout  time.Duration
	Clock    pace.Clock // polled mode pacing; nil = pace.Wall{}
}

// Options is the "iio" driver's options block:
//
//	driver: iio
//	rate: 1600
//	options: {device: adxl345, channels: [accel_x, accel_y, accel_z], buffered: true, trigger: adxl345-dev0}
type Options struct {
	Device       string   `yaml:"device"`
	Channels     []string `yaml:"channels"`
	Names        []string `yaml:"names"`
	Buffered     bool     `yaml:"buffered"`
	Trigger      string   `yaml:"trigger"`
	BufferLength int      `yaml:"buffer_length"`
}

// Open is the sensors.Opener of the "iio" driver: a *Polled sensor, or a
// *Buffered streamer with option buffered.
func Open(_ context.Context, spec sensors.Spec, _ sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("iio: %w", err)
		}
	}
	cfg := Config{Device: o.Device, Channels: o.Channels, Names: o.Names, Rate: spec.Rate,
		Buffered: o.Buffered, Trigger: o.Trigger, Length: o.BufferLength, Timeout: spec.Timeout}
	if cfg.Buffered {
		return NewBuffered(cfg)
	}
	return NewPolled(cfg)
}

// channel is one selected channel with its conversion to SI units.
type channel struct {
	iio           string // IIO name, e.g. accel_x
	raw           bool   // in_*_raw (else in_*_input, already processed)
	scale, offset float64
	factor        float64
}

func (c *channel) value(v float64) float64 {
	if c.raw {
		return (v + c.offset) * c.scale * c.factor
	}
	return v * c.factor
}

// resolve finds the device and describes the selected channels.
func resolve(cfg *Config) (dir, node string, chans []channel, out []sensors.Channel, err error) {
	if cfg.SysRoot == "" {
		cfg.SysRoot = DefaultSysRoot
	}
	if cfg.DevRoot == "" {
		cfg.DevRoot = DefaultDevRoot
	}
	if cfg.Device == "" {
		return "", "", nil, nil, errors.New("option device: missing")
	}
	if !(cfg.Rate >= 0 && cfg.Rate <= 1e6) {
		return "", "", nil, nil, fmt.Errorf("rate: %v is outside [0, 1e6]", cfg.Rate)
	}
	dir, node, err = findDevice(cfg.SysRoot, cfg.Device)
	if err != nil {
		return "", "", nil, nil, err
	}
	avail, err := rawChannels(dir)
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("list channels of %s: %w", node, err)
	}
	names := cfg.Channels
	if len(names) == 0 {
		names = avail
	}
	if len(cfg.Names) != 0 && len(cfg.Names) != len(names) {
		return "", "", nil, nil, fmt.Errorf("option names: %d names for %d channels", len(cfg.Names), len(names))
	}
	for i, n := range names {
		c := channel{iio: n, factor: 1}
		switch {
		case exists(filepath.Join(dir, "in_"+n+"_raw")):
			c.raw = true
			if c.scale, c.offset, err = scaleOffset(dir, n); err != nil {
				return "", "", nil, nil, fmt.Errorf("channel %s: %w", n, err)
			}
		case exists(filepath.Join(dir, "in_"+n+"_input")):
		default:
			return "", "", nil, nil, fmt.Errorf("option channels[%d]: %s has no channel %q (channels: %s)", i, node, n, strings.Join(avail, ", "))
		}
		ch := sensors.Channel{Name: n}
		if u, ok := unitOf[chanType(n)]; ok {
			ch.Unit, c.factor = u.unit, u.factor
		}
		if len(cfg.Names) != 0 {
			ch.Name = cfg.Names[i]
		}
		chans = append(chans, c)
		out = append(out, ch)
	}
	return dir, node, chans, out, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Polled reads channels from their sysfs files at a fixed rate. It
// implements sensors.Sensor and is used by one goroutine.
type Polled struct {
	node   string
	chans  []channel
	files  []*os.File
	out    []sensors.Channel
	clock  pace.Clock
	tick   *pace.Ticker
	buf    [64]byte
	closed bool
}

// NewPolled opens the channels' sysfs files.
func NewPolled(cfg Config) (*Polled, error) {
	if cfg.Rate == 0 {
		cfg.Rate = 10
	}
	_, node, chans, out, err := resolve(&cfg)
	if err != nil {
		return nil, fmt.Errorf("iio: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = pace.Wall{}
	}
	dir := filepath.Join(cfg.SysRoot, node)
	p := &Polled{node: node, chans: chans, out: out, clock: cfg.Clock,
		tick: pace.NewTicker(cfg.Clock, time.Duration(float64(time.Second)/cfg.Rate))}
	for _, c := range chans {
		suffix := "_input"
		if c.raw {
			suffix = "_raw"
		}
		f, err := os.Open(filepath.Join(dir, "in_"+c.iio+suffix))
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("iio: %w", err)
		}
		p.files = append(p.files, f)
	}
	return p, nil
}

// Channels returns the selected channels in SI units.
func (p *Polled) Channels() []sensors.Channel { return p.out }

// Read reads every channel file once (pread at offset 0, as sysfs wants).
func (p *Polled) Read(ctx context.Context, s *sensors.Sample) error {
	if p.closed {
		return ErrClosed
	}
	if _, err := p.tick.Wait(ctx); err != nil {
		return err
	}
	if cap(s.Values) < len(p.chans) {
		s.Values = make([]float64, len(p.chans))
	}
	s.Values = s.Values[:len(p.chans)]
	for i, f := range p.files {
		n, err := f.ReadAt(p.buf[:], 0)
		if n == 0 && err != nil {
			return fmt.Errorf("iio: %s: read %s: %w", p.node, p.chans[i].iio, err)
		}
		text := strings.TrimSpace(string(p.buf[:n]))
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("iio: %s: %s reads %q, not a number", p.node, p.chans[i].iio, text)
		}
		s.Values[i] = p.chans[i].value(v)
	}
	s.Time, s.Valid, s.Fault = p.clock.Now(), true, ""
	return nil
}

// Close closes the sysfs files.
func (p *Polled) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, f := range p.files {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("iio: close: %w", err)
	}
	return nil
}

// Validate is the sensors.Validator of the "iio" driver: it checks the
// options without reading sysfs (the device may be absent on the machine
// that checks the config).
func Validate(spec sensors.Spec) error {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return fmt.Errorf("iio: %w", err)
		}
	}
	switch {
	case o.Device == "":
		return errors.New("iio: option device: missing")
	case !(spec.Rate >= 0 && spec.Rate <= 1e6):
		return fmt.Errorf("iio: rate: %v is outside [0, 1e6]", spec.Rate)
	case len(o.Names) != 0 && len(o.Channels) != 0 && len(o.Names) != len(o.Channels):
		return fmt.Errorf("iio: option names: %d names for %d channels", len(o.Names), len(o.Channels))
	}
	return nil
}
