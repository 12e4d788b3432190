package ina219

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Registers and fields (INA219 datasheet SBOS448G, section 8.6).
const (
	regConfig = 0x00
	regShunt  = 0x01 // signed, 10 µV/LSB
	regBus    = 0x02 // bits 15:3 voltage (4 mV/LSB), bit 1 CNVR, bit 0 OVF

	cfgReset      = 0x8000
	cfgBus32V     = 1 << 13
	modeContinous = 0x7 // shunt and bus, continuous

	shuntLSB = 10e-6 // V
	busLSB   = 4e-3  // V
	busOVF   = 0x1
)

// pgaRanges are the shunt full-scale voltages for PG = 00 … 11.
var pgaRanges = []float64{0.040, 0.080, 0.160, 0.320}

// adcTime is the conversion time per averaging count (12-bit).
var adcTime = map[int]time.Duration{
	1: 532 * time.Microsecond, 2: 1060 * time.Microsecond, 4: 2130 * time.Microsecond,
	8: 4260 * time.Microsecond, 16: 8510 * time.Microsecond, 32: 17020 * time.Microsecond,
	64: 34050 * time.Microsecond, 128: 68100 * time.Microsecond,
}

// Config sets up the monitor.
type Config struct {
	Addr       uint16        // 0x40 … 0x4F
	Shunt      float64       // Ω
	MaxCurrent float64       // A; picks the smallest shunt range that holds it
	BusRange   int           // V, 16 or 32
	Averaging  int           // samples averaged per conversion: 1, 2, 4 … 128
	Period     time.Duration // between readings
	Clock      pace.Clock
}

// ErrClosed is returned by a Dev used after Close.
var ErrClosed = errors.New("ina219: closed")

// Dev is an INA219 current/voltage/power monitor in continuous mode. It
// implements sensors.Sensor and is used by one goroutine.
type Dev struct {
	d      i2c.Dev
	shunt  float64
	fsr    float64 // shunt full scale, V
	clock  pace.Clock
	tick   *pace.Ticker
	chans  []sensors.Channel
	w      [3]byte
	r      [2]byte
	closed bool
}

// New resets the device, configures it and reads the configuration back.
func New(bus i2c.Bus, cfg Config) (*Dev, error) {
	pg := -1
	for i, r := range pgaRanges {
		if cfg.MaxCurrent*cfg.Shunt <= r*(1+1e-9) {
			pg = i
			break
		}
	}
	conv, okAvg := adcTime[cfg.Averaging]
	switch {
	case cfg.Addr < 0x40 || cfg.Addr > 0x4F:
		return nil, fmt.Errorf("ina219: option address: 0x%02x is not 0x40 … 0x4f", cfg.Addr)
	case !(cfg.Shunt > 0 && cfg.Shunt < 1e3):
		return nil, fmt.Errorf("ina219: option shunt: %v Ω must be in (0, 1000)", cfg.Shunt)
	case !(cfg.MaxCurrent > 0):
		return nil, fmt.Errorf("ina219: option max_current: %v A must be > 0", cfg.MaxCurrent)
	case pg < 0:
		return nil, fmt.Errorf("ina219: option max_current: %v A across %v Ω is %.3f V, beyond the 0.32 V shunt range", cfg.MaxCurrent, cfg.Shunt, cfg.MaxCurrent*cfg.Shunt)
	case cfg.BusRange != 16 && cfg.BusRange != 32:
		return nil, fmt.Errorf("ina219: option bus_range: %d V is not 16 or 32", cfg.BusRange)
	case !okAvg:
		return nil, fmt.Errorf("ina219: option averaging: %d is not 1, 2, 4, 8, 16, 32, 64 or 128", cfg.Averaging)
	case cfg.Period < 2*conv:
		return nil, fmt.Errorf("ina219: rate: period %v is shorter than a bus and a shunt conversion (%v)", cfg.Period, 2*conv)
	}
	if cfg.Clock == nil {
		cfg.Clock = pace.Wall{}
	}
	d := &Dev{
		d:     i2c.Dev{Bus: bus, Addr: cfg.Addr},
		shunt: cfg.Shunt,
		fsr:   pgaRanges[pg],
		clock: cfg.Clock,
		tick:  pace.NewTicker(cfg.Clock, cfg.Period),
	}
	imax := d.fsr / cfg.Shunt
	vmax := float64(cfg.BusRange)
	d.chans = []sensors.Channel{
		{Name: "voltage", Unit: "V", Min: 0, Max: vmax},
		{Name: "current", Unit: "A", Min: -imax, Max: imax},
		{Name: "power", Unit: "W", Min: -imax * vmax, Max: imax * vmax},
	}
	// 12-bit ADCs: code 0011 for one sample, 1nnn for 2^nnn averaged.
	adc := uint16(0x3)
	if cfg.Averaging > 1 {
		adc = 0x8 | uint16(bits.TrailingZeros(uint(cfg.Averaging)))
	}
	config := uint16(pg)<<11 | adc<<7 | adc<<3 | modeContinous
	if cfg.BusRange == 32 {
		config |= cfgBus32V
	}
	if err := d.write(regConfig, cfgReset); err != nil {
		return nil, fmt.Errorf("ina219: reset 0x%02x: %w", cfg.Addr, err)
	}
	if err := d.write(regConfig, config); err != nil {
		return nil, fmt.Errorf("ina219: configure: %w", err)
	}
	got, err := d.read(regConfig)
	if err != nil {
		return nil, fmt.Errorf("ina219: read back config: %w", err)
	}
	if got != config {
		return nil, fmt.Errorf("ina219: config reads 0x%04x after writing 0x%04x: not an INA219?", got, config)
	}
	return d, nil
}

// Channels returns voltage (bus, V), current (A) and power (W).
func (d *Dev) Channels() []sensors.Channel { return d.chans }

// Read reads the bus and shunt voltages. Current comes from the shunt
// voltage and resistance, so it does not depend on the calibration
// register, which a brown-out would clear.
func (d *Dev) Read(ctx context.Context, s *sensors.Sample) error {
	if d.closed {
		return ErrClosed
	}
	if _, err := d.tick.Wait(ctx); err != nil {
		return err
	}
	bus, err := d.read(regBus)
	if err != nil {
		return fmt.Errorf("ina219: read bus voltage: %w", err)
	}
	sh, err := d.read(regShunt)
	if err != nil {
		return fmt.Errorf("ina219: read shunt voltage: %w", err)
	}
	vs := float64(int16(sh)) * shuntLSB
	v := float64(bus>>3) * busLSB
	i := vs / d.shunt
	if cap(s.Values) < 3 {
		s.Values = make([]float64, 3)
	}
	s.Values = s.Values[:3]
	s.Values[0], s.Values[1], s.Values[2] = v, i, v*i
	s.Time, s.Valid, s.Fault = d.clock.Now(), true, ""
	switch {
	case bus&busOVF != 0:
		s.Valid, s.Fault = false, "overflow: current or power beyond range"
	case math.Abs(vs) >= d.fsr:
		s.Valid, s.Fault = false, "shunt voltage at full scale"
	}
	return nil
}

func (d *Dev) write(reg byte, v uint16) error {
	d.w = [3]byte{reg, byte(v >> 8), byte(v)}
	return d.d.Tx(d.w[:], nil)
}

func (d *Dev) read(reg byte) (uint16, error) {
	d.w[0] = reg
	if err := d.d.Tx(d.w[:1], d.r[:]); err != nil {
		return 0, err
	}
	return uint16(d.r[0])<<8 | uint16(d.r[1]), nil
}

// Close marks the device closed; it keeps converting, as after power-on.
func (d *Dev) Close() error {
	d.closed = true
	return nil
}

// Options is the "ina219" driver's options block:
//
//	driver: ina219
//	rate: 10
//	options: {i2c: "1", address: 0x40, shunt: 0.1, max_current: 3.2}
type Options struct {
	I2C        string  `yaml:"i2c"`
	Address    uint16  `yaml:"address"`     // default 0x40
	Shunt      float64 `yaml:"shunt"`       // Ω, default 0.1
	MaxCurrent float64 `yaml:"max_current"` // A, default 3.2 (0.32 V across 0.1 Ω)
	BusRange   int     `yaml:"bus_range"`   // V, default 32
	Averaging  int     `yaml:"averaging"`   // default 1
}

// Open is the sensors.Opener of the "ina219" driver; default rate 1 Hz.
func Open(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("ina219: %w", err)
		}
	}
	cfg := Config{Addr: o.Address, Shunt: o.Shunt, MaxCurrent: o.MaxCurrent, BusRange: o.BusRange, Averaging: o.Averaging, Period: time.Second}
	if cfg.Addr == 0 {
		cfg.Addr = 0x40
	}
	if cfg.Shunt == 0 {
		cfg.Shunt = 0.1
	}
	if cfg.MaxCurrent == 0 {
		cfg.MaxCurrent = 3.2
	}
	if cfg.BusRange == 0 {
		cfg.BusRange = 32
	}
	if cfg.Averaging == 0 {
		cfg.Averaging = 1
	}
	if spec.Rate < 0 || math.IsNaN(spec.Rate) || math.IsInf(spec.Rate, 0) {
		return nil, fmt.Errorf("ina219: rate: %v must be > 0", spec.Rate)
	}
	if spec.Rate > 0 {
		cfg.Period = time.Duration(float64(time.Second) / spec.Rate)
	}
	if o.I2C == "" {
		return nil, fmt.Errorf("ina219: option i2c: missing")
	}
	bus, err := buses.I2C(o.I2C)
	if err != nil {
		return nil, fmt.Errorf("ina219: option i2c: %w", err)
	}
	return New(bus, cfg)
}
