package adxl345

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/spi"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// ErrOverrun is returned by Stream when the FIFO overflowed before it was
// read, so samples were lost: the gateway is too busy or polls too slowly.
var ErrOverrun = errors.New("adxl345: fifo overrun, samples lost")

// ErrClosed is returned by a Dev used after Close.
var ErrClosed = errors.New("adxl345: closed")

// Config sets up the accelerometer.
type Config struct {
	Rate      float64  // output data rate, one of 6.25 … 3200 Hz
	Range     int      // ±g: 2, 4, 8 or 16
	Watermark int      // FIFO samples per poll, 1 … 31
	Names     []string // three channel names, x y z
	// Timeout: no new sample for this long is an error wrapping
	// context.DeadlineExceeded. 0: 100 ms or ten sample periods.
	Timeout time.Duration
	Clock   pace.Clock // nil = pace.Wall{}
}

// Defaults.
const (
	DefaultRate      = 3200
	DefaultI2CRate   = 800 // the datasheet's limit for 400 kHz I²C
	DefaultRange     = 16
	DefaultWatermark = 16
	DefaultSPIHz     = maxSPIHz
)

// DefaultNames are the channel names unless configured.
var DefaultNames = []string{"accel_x", "accel_y", "accel_z"}

// Dev is an ADXL345 streaming from its FIFO. It implements sensors.Streamer
// and is used by one goroutine.
type Dev struct {
	t      transport
	cfg    Config
	clock  pace.Clock
	chans  []sensors.Channel
	scale  float64 // m/s^2 per LSB
	lo, hi int16   // saturated raw values
	poll   time.Duration
	stamp  stamper
	closed bool
	raw    [6]byte
	one    [1]byte
	batch  sensors.Batch
}

// NewSPI probes and configures an ADXL345 on an SPI port.
func NewSPI(p spi.Port, hz int64, cfg Config) (*Dev, error) {
	if hz <= 0 || hz > maxSPIHz {
		return nil, fmt.Errorf("adxl345: spi clock %d Hz is outside (0, %d]", hz, maxSPIHz)
	}
	t, err := newSPI(p, hz)
	if err != nil {
		return nil, fmt.Errorf("adxl345: %w", err)
	}
	return newDev(t, cfg)
}

// NewI2C probes and configures an ADXL345 at addr (0x53 or 0x1D).
func NewI2C(b i2c.Bus, addr uint16, cfg Config) (*Dev, error) {
	if addr != addrAltLow && addr != addrAltHigh {
		return nil, fmt.Errorf("adxl345: i2c address 0x%02x is not 0x53 or 0x1d", addr)
	}
	return newDev(&i2cTransport{d: i2c.Dev{Bus: b, Addr: addr}}, cfg)
}

func newDev(t transport, cfg Config) (*Dev, error) {
	code, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("adxl345: %w", err)
	}
	d := &Dev{t: t, cfg: cfg, clock: cfg.Clock}
	if d.clock == nil {
		d.clock = pace.Wall{}
	}
	if d.cfg.Timeout == 0 {
		d.cfg.Timeout = max(100*time.Millisecond, time.Duration(10*float64(time.Second)/cfg.Rate))
	}
	if len(d.cfg.Names) == 0 {
		d.cfg.Names = DefaultNames
	}
	g := float64(cfg.Range) * 9.80665
	for _, n := range d.cfg.Names {
		d.chans = append(d.chans, sensors.Channel{Name: n, Unit: "m/s^2", Min: -g, Max: g})
	}
	d.scale = 9.80665 / lsbPerG
	// Full resolution: 10 bits at ±2 g, one more per doubling of the range.
	bits := 10 + int(math.Log2(float64(cfg.Range)/2))
	d.lo, d.hi = int16(-1<<(bits-1)), int16(1<<(bits-1)-1)
	d.poll = time.Duration(float64(cfg.Watermark) / cfg.Rate * float64(time.Second))
	d.stamp.nominal = float64(time.Second) / cfg.Rate
	d.stamp.period = d.stamp.nominal
	d.batch = sensors.Batch{
		Stride: 3,
		Times:  make([]int64, 0, maxEntries),
		Values: make([]float64, 0, 3*maxEntries),
		Valid:  make([]bool, 0, maxEntries),
	}
	if err := d.configure(code); err != nil {
		return nil, err
	}
	return d, nil
}

func (c *Config) validate() (byte, error) {
	code, ok := byte(0), false
	for _, r := range rateCodes {
		if r.hz == c.Rate {
			code, ok = r.code, true
		}
	}
	switch {
	case !ok:
		return 0, fmt.Errorf("rate: %v Hz is not an output data rate (3200, 1600, 800, 400, 200, 100, 50, 25, 12.5, 6.25)", c.Rate)
	case rangeBits[c.Range] == 0 && c.Range != 2:
		return 0, fmt.Errorf("option range: %d is not 2, 4, 8 or 16 (g)", c.Range)
	case c.Watermark < 1 || c.Watermark > 31:
		return 0, fmt.Errorf("option watermark: %d is outside [1, 31]", c.Watermark)
	case len(c.Names) != 0 && len(c.Names) != 3:
		return 0, fmt.Errorf("option names: %d names, want 3 (x, y, z)", len(c.Names))
	case c.Timeout < 0:
		return 0, fmt.Errorf("timeout: %v is negative", c.Timeout)
	}
	return code, nil
}

// configure probes the device id, then sets it up in standby: rate, full
// resolution range, FIFO cleared (bypass) then in stream mode with the
// watermark, and finally starts measuring.
func (d *Dev) configure(code byte) error {
	if err := d.t.read(regDevID, d.one[:]); err != nil {
		return fmt.Errorf("adxl345: probe over %s: %w", d.t, err)
	}
	if d.one[0] != devID {
		return fmt.Errorf("adxl345: probe over %s: device id 0x%02x, want 0x%02x (wrong bus, address or chip?)", d.t, d.one[0], devID)
	}
	steps := []struct {
		reg, val byte
		what     string
	}{
		{regPowerCtl, 0, "standby"},
		{regBWRate, code, "set rate"},
		{regDataFormat, fullRes | rangeBits[d.cfg.Range], "set range"},
		{regIntEnable, 0, "disable interrupts"},
		{regFIFOCtl, fifoBypass, "clear fifo"},
		{regFIFOCtl, fifoStream | byte(d.cfg.Watermark), "fifo stream mode"},
		{regPowerCtl, powerMeasure, "start measuring"},
	}
	for _, s := range steps {
		if err := d.t.write(s.reg, s.val); err != nil {
			return fmt.Errorf("adxl345: %s: %w", s.what, err)
		}
	}
	return nil
}

// Channels returns x, y and z in m/s^2.
func (d *Dev) Channels() []sensors.Channel { return d.chans }

// Read returns the oldest sample in the FIFO, waiting for one if it is
// empty. At high rates Stream is far cheaper.
func (d *Dev) Read(ctx context.Context, s *sensors.Sample) error {
	if d.closed {
		return ErrClosed
	}
	deadline := d.clock.Now().Add(d.cfg.Timeout)
	for {
		n, err := d.entries()
		if err != nil {
			return err
		}
		if n > 0 {
			break
		}
		if !d.clock.Now().Before(deadline) {
			return fmt.Errorf("adxl345: no sample within %v: %w", d.cfg.Timeout, context.DeadlineExceeded)
		}
		if err := d.clock.SleepUntil(ctx, d.clock.Now().Add(time.Duration(d.stamp.nominal))); err != nil {
			return err
		}
	}
	if cap(s.Values) < 3 {
		s.Values = make([]float64, 3)
	}
	s.Values = s.Values[:3]
	ok, err := d.pop(s.Values)
	if err != nil {
		return err
	}
	s.Time, s.Valid, s.Fault = d.clock.Now(), ok, ""
	if !ok {
		s.Fault = "saturated"
	}
	return nil
}

// Stream polls the FIFO every watermark/rate and hands over what it holds,
// with times spaced by the sample period (see stamper).
func (d *Dev) Stream(ctx context.Context, fn func(*sensors.Batch) error) error {
	if d.closed {
		return ErrClosed
	}
	next := d.clock.Now()
	lastData := next
	var vals [3]float64
	for {
		if err := d.clock.SleepUntil(ctx, next); err != nil {
			return nil
		}
		now := d.clock.Now()
		next = next.Add(d.poll)
		if next.Before(now) {
			next = now // fell behind: poll again at once, do not bunch
		}
		n, err := d.entries()
		if err != nil {
			return err
		}
		if n == 0 {
			if now.Sub(lastData) > d.cfg.Timeout {
				return fmt.Errorf("adxl345: no sample within %v: %w", d.cfg.Timeout, context.DeadlineExceeded)
			}
			continue
		}
		lastData = now
		b := &d.batch
		b.Times, b.Values, b.Valid = b.Times[:n], b.Values[:0], b.Valid[:0]
		for range n {
			ok, err := d.pop(vals[:])
			if err != nil {
				return err
			}
			b.Values = append(b.Values, vals[:]...)
			b.Valid = append(b.Valid, ok)
		}
		d.stamp.stamp(b.Times, now.UnixNano())
		if err := fn(b); err != nil {
			return fmt.Errorf("adxl345: %w", err)
		}
	}
}

// entries reads FIFO_STATUS; a full FIFO is checked for overrun.
func (d *Dev) entries() (int, error) {
	if err := d.t.read(regFIFOStatus, d.one[:]); err != nil {
		return 0, fmt.Errorf("adxl345: read fifo status: %w", err)
	}
	st := d.one[0]
	n := int(st & fifoEntries)
	if st&0x40 != 0 || n > maxEntries {
		return 0, fmt.Errorf("adxl345: fifo status 0x%02x is impossible: device not responding", st)
	}
	if n >= fifoDepth {
		if err := d.t.read(regIntSource, d.one[:]); err != nil {
			return 0, fmt.Errorf("adxl345: read int source: %w", err)
		}
		if d.one[0]&intOverrun != 0 {
			return 0, ErrOverrun
		}
	}
	return n, nil
}

// pop reads one FIFO entry into v (m/s^2) and reports whether no axis is
// saturated.
func (d *Dev) pop(v []float64) (bool, error) {
	if err := d.t.read(regDataX0, d.raw[:]); err != nil {
		return false, fmt.Errorf("adxl345: read fifo: %w", err)
	}
	ok := true
	for i := range 3 {
		r := int16(uint16(d.raw[2*i]) | uint16(d.raw[2*i+1])<<8)
		ok = ok && r > d.lo && r < d.hi
		v[i] = float64(r) * d.scale
	}
	return ok, nil
}

// Close puts the device in standby. The bus belongs to the caller.
func (d *Dev) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.t.write(regPowerCtl, 0); err != nil {
		return fmt.Errorf("adxl345: standby: %w", err)
	}
	return nil
}

// stamper gives FIFO samples times. The FIFO carries no time stamps and
// the device's oscillator runs a few percent off nominal, so the sample
// period is measured (samples counted against the host clock since the
// first read, once 250 ms have passed, within ±10 % of nominal) and the
// sequence is slewed by 1/16 of its phase error at each read: the newest
// sample of a read was taken in the period before the read. Times are never
// later than the read and always increase, monotonicity winning if the host
// clock steps back.
type stamper struct {
	nominal float64 // ns
	period  float64 // ns, measured
	next    float64 // estimated time of the next sample, Unix ns
	first   int64   // time of the first read
	count   float64 // samples after the first read
	last    int64
	init    bool
}

func (s *stamper) stamp(times []int64, now int64) {
	n := float64(len(times))
	newest := float64(now) - s.period/2
	if !s.init {
		s.next, s.first, s.init = newest-(n-1)*s.period, now, true
	} else {
		s.count += n
		if span := float64(now - s.first); span > 250e6 {
			s.period = min(max(span/s.count, 0.9*s.nominal), 1.1*s.nominal)
		}
		s.next += (newest - (s.next + (n-1)*s.period)) / 16
	}
	for i := range times {
		t := int64(s.next + float64(i)*s.period)
		t = max(min(t, now), s.last+1)
		times[i], s.last = t, t
	}
	s.next += n * s.period
}
