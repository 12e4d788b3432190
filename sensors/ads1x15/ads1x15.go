package ads1x15

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Registers and config fields (ADS111x datasheet SBAS444, section 8.6).
const (
	regConversion = 0x00
	regConfig     = 0x01

	cfgOS     = 1 << 15 // write: start a single conversion; read: 1 = idle
	cfgSingle = 1 << 8  // MODE: single-shot
	cfgNoComp = 0x0003  // COMP_QUE = 11: comparator off, ALERT/RDY high-Z
)

// muxCodes are the MUX[14:12] input selections.
var muxCodes = map[string]uint16{
	"ain0-ain1": 0, "ain0-ain3": 1, "ain1-ain3": 2, "ain2-ain3": 3,
	"ain0": 4, "ain1": 5, "ain2": 6, "ain3": 7,
}

// pgaCodes map the full-scale range (V) to PGA[11:9].
var pgaCodes = []struct {
	fsr  float64
	code uint16
}{{6.144, 0}, {4.096, 1}, {2.048, 2}, {1.024, 3}, {0.512, 4}, {0.256, 5}}

// Chip is ADS1115 (16-bit) or ADS1015 (12-bit).
type Chip struct {
	Name  string
	Bits  int
	Rates []float64 // samples per second for DR codes 0 … 7
}

// The two chips of the family.
var (
	ADS1115 = Chip{"ads1115", 16, []float64{8, 16, 32, 64, 128, 250, 475, 860}}
	ADS1015 = Chip{"ads1015", 12, []float64{128, 250, 490, 920, 1600, 2400, 3300, 3300}}
)

// Loop scales a 4–20 mA current loop read across a shunt resistor.
type Loop struct {
	Shunt float64 // Ω, e.g. 250 (1–5 V) or 150 (0.6–3 V)
	Min   float64 // engineering value at 4 mA
	Max   float64 // engineering value at 20 mA
}

// NAMUR NE 43 limits: below 3.6 mA or above 21 mA the transmitter signals
// a fault (or the loop is open / shorted).
const (
	loopLow  = 3.6e-3
	loopHigh = 21e-3
)

// Input is one channel read from the ADC.
type Input struct {
	Name  string
	Unit  string
	Mux   string  // ain0 … ain3 against GND, or a differential pair "ain0-ain1"
	Range float64 // full-scale range in V: 6.144, 4.096, 2.048, 1.024, 0.512, 0.256
	// Without Loop: value = volts × Scale + Offset (Scale 0 means 1).
	Scale, Offset float64
	Loop          *Loop
	Min, Max      float64 // channel range; with Loop, Min and Max of the loop
}

// Config sets up the converter.
type Config struct {
	Chip   Chip
	Addr   uint16        // 0x48 … 0x4B
	Inputs []Input       // converted in turn at each Read
	Rate   float64       // conversions per second of the ADC itself (a DR value); 0: the fastest
	Period time.Duration // between readings of all inputs
	Clock  pace.Clock
}

// ErrClosed is returned by a Dev used after Close.
var ErrClosed = errors.New("ads1x15: closed")

type input struct {
	Input
	config uint16 // config word that starts its conversion
	lsb    float64
}

// Dev is an ADS1115/ADS1015 reading its inputs one after another in
// single-shot mode. It implements sensors.Sensor; one goroutine uses it.
type Dev struct {
	d      i2c.Dev
	chip   Chip
	clock  pace.Clock
	tick   *pace.Ticker
	conv   time.Duration // one conversion, with margin
	inputs []input
	chans  []sensors.Channel
	w      [3]byte
	r      [2]byte
	closed bool
}

// New checks the configuration and that the device answers.
func New(bus i2c.Bus, cfg Config) (*Dev, error) {
	if cfg.Addr < 0x48 || cfg.Addr > 0x4B {
		return nil, fmt.Errorf("ads1x15: option address: 0x%02x is not 0x48 … 0x4b", cfg.Addr)
	}
	if len(cfg.Inputs) == 0 || len(cfg.Inputs) > 8 {
		return nil, fmt.Errorf("ads1x15: option inputs: %d inputs, want 1 … 8", len(cfg.Inputs))
	}
	dr := len(cfg.Chip.Rates) - 1
	if cfg.Rate != 0 {
		dr = -1
		for i, r := range cfg.Chip.Rates {
			if r == cfg.Rate {
				dr = i
				break
			}
		}
		if dr < 0 {
			return nil, fmt.Errorf("ads1x15: option data_rate: %v is not one of %v for the %s", cfg.Rate, cfg.Chip.Rates, cfg.Chip.Name)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = pace.Wall{}
	}
	// The datasheet's data rate may be 10 % slow; allow for it plus 100 µs
	// of wake-up from power-down.
	conv := time.Duration(1.1*float64(time.Second)/cfg.Chip.Rates[dr]) + 100*time.Microsecond
	if need := time.Duration(len(cfg.Inputs)) * conv; cfg.Period < need {
		return nil, fmt.Errorf("ads1x15: rate: period %v is shorter than %d conversions at %v SPS (%v)", cfg.Period, len(cfg.Inputs), cfg.Chip.Rates[dr], need)
	}
	d := &Dev{d: i2c.Dev{Bus: bus, Addr: cfg.Addr}, chip: cfg.Chip, clock: cfg.Clock, tick: pace.NewTicker(cfg.Clock, cfg.Period), conv: conv}
	seen := map[string]bool{}
	for i, in := range cfg.Inputs {
		where := fmt.Sprintf("ads1x15: option inputs[%d]", i)
		mux, ok := muxCodes[strings.ToLower(in.Mux)]
		if !ok {
			return nil, fmt.Errorf("%s.input: %q is not ain0 … ain3 or ain0-ain1, ain0-ain3, ain1-ain3, ain2-ain3", where, in.Mux)
		}
		pga, ok := uint16(0), false
		for _, p := range pgaCodes {
			if p.fsr == in.Range {
				pga, ok = p.code, true
			}
		}
		switch {
		case in.Name == "" || seen[in.Name]:
			return nil, fmt.Errorf("%s.name: %q is empty or used twice", where, in.Name)
		case !ok:
			return nil, fmt.Errorf("%s.range: %v V is not 6.144, 4.096, 2.048, 1.024, 0.512 or 0.256", where, in.Range)
		case in.Loop != nil && !(in.Loop.Shunt > 0 && in.Loop.Shunt*loopHigh <= in.Range*1.0001):
			return nil, fmt.Errorf("%s.loop.shunt: %v Ω must be > 0 and keep 21 mA (%.3f V) within the %v V range", where, in.Loop.Shunt, in.Loop.Shunt*loopHigh, in.Range)
		case in.Loop != nil && !(in.Loop.Min < in.Loop.Max):
			return nil, fmt.Errorf("%s.loop: min %v is not below max %v", where, in.Loop.Min, in.Loop.Max)
		}
		seen[in.Name] = true
		if in.Scale == 0 {
			in.Scale = 1
		}
		d.inputs = append(d.inputs, input{
			Input:  in,
			config: cfgOS | mux<<12 | pga<<9 | cfgSingle | uint16(dr)<<5 | cfgNoComp,
			lsb:    in.Range / float64(int(1)<<(cfg.Chip.Bits-1)),
		})
		ch := sensors.Channel{Name: in.Name, Unit: in.Unit, Min: in.Min, Max: in.Max}
		if in.Loop != nil {
			ch.Min, ch.Max = in.Loop.Min, in.Loop.Max
		}
		d.chans = append(d.chans, ch)
	}
	if err := d.readReg(regConfig); err != nil {
		return nil, fmt.Errorf("ads1x15: probe 0x%02x: %w", cfg.Addr, err)
	}
	return d, nil
}

// Channels returns one channel per input.
func (d *Dev) Channels() []sensors.Channel { return d.chans }

// Read converts every input once.
func (d *Dev) Read(ctx context.Context, s *sensors.Sample) error {
	if d.closed {
		return ErrClosed
	}
	if _, err := d.tick.Wait(ctx); err != nil {
		return err
	}
	if cap(s.Values) < len(d.inputs) {
		s.Values = make([]float64, len(d.inputs))
	}
	s.Values = s.Values[:len(d.inputs)]
	s.Valid, s.Fault = true, ""
	for i := range d.inputs {
		v, fault, err := d.convert(ctx, &d.inputs[i])
		if err != nil {
			return err
		}
		s.Values[i] = v
		if fault != "" && s.Valid {
			s.Valid, s.Fault = false, fault
		}
	}
	s.Time = d.clock.Now()
	return nil
}

// convert runs one single-shot conversion and scales it.
func (d *Dev) convert(ctx context.Context, in *input) (float64, string, error) {
	d.w = [3]byte{regConfig, byte(in.config >> 8), byte(in.config)}
	if err := d.d.Tx(d.w[:], nil); err != nil {
		return 0, "", fmt.Errorf("ads1x15: %s: start conversion: %w", in.Name, err)
	}
	// Wait, then confirm OS reads 1 (idle); a device that never finishes
	// is an error, not an endless poll.
	for try := 0; ; try++ {
		if err := d.clock.SleepUntil(ctx, d.clock.Now().Add(d.conv)); err != nil {
			return 0, "", err
		}
		if err := d.readReg(regConfig); err != nil {
			return 0, "", fmt.Errorf("ads1x15: %s: read config: %w", in.Name, err)
		}
		if d.r[0]&0x80 != 0 {
			break
		}
		if try == 2 {
			return 0, "", fmt.Errorf("ads1x15: %s: conversion not done after %v", in.Name, 3*d.conv)
		}
	}
	if err := d.readReg(regConversion); err != nil {
		return 0, "", fmt.Errorf("ads1x15: %s: read conversion: %w", in.Name, err)
	}
	raw := int16(uint16(d.r[0])<<8 | uint16(d.r[1]))
	code := int(raw) >> (16 - d.chip.Bits) // ADS1015 results are left-justified
	volts := float64(code) * in.lsb
	full := 1<<(d.chip.Bits-1) - 1
	if in.Loop == nil {
		fault := ""
		if code >= full || code <= -full-1 {
			fault = in.Name + " at full scale"
		}
		return volts*in.Scale + in.Offset, fault, nil
	}
	amps := volts / in.Loop.Shunt
	v := in.Loop.Min + (amps-4e-3)/16e-3*(in.Loop.Max-in.Loop.Min)
	switch {
	case amps < loopLow:
		return v, fmt.Sprintf("%s loop current %.2f mA: open loop or transmitter fault", in.Name, amps*1e3), nil
	case amps > loopHigh:
		return v, fmt.Sprintf("%s loop current %.2f mA: short or transmitter fault", in.Name, amps*1e3), nil
	}
	return v, "", nil
}

func (d *Dev) readReg(reg byte) error {
	d.w[0] = reg
	return d.d.Tx(d.w[:1], d.r[:])
}

// Close marks the device closed. Single-shot mode already powers the
// converter down between conversions.
func (d *Dev) Close() error {
	d.closed = true
	return nil
}

// InputOptions is one entry of the "inputs" option.
type InputOptions struct {
	Name   string       `yaml:"name"`
	Unit   string       `yaml:"unit"`
	Input  string       `yaml:"input"` // ain0 … ain3, or ain0-ain1 style pairs
	Range  float64      `yaml:"range"` // full-scale V, default 4.096
	Scale  float64      `yaml:"scale"`
	Offset float64      `yaml:"offset"`
	Min    *float64     `yaml:"min"`
	Max    *float64     `yaml:"max"`
	Loop   *LoopOptions `yaml:"loop"`
}

// LoopOptions is a 4–20 mA input: min at 4 mA, max at 20 mA.
type LoopOptions struct {
	Shunt float64 `yaml:"shunt"`
	Min   float64 `yaml:"min"`
	Max   float64 `yaml:"max"`
}

// Options is the "ads1115" / "ads1015" drivers' options block:
//
//	driver: ads1115
//	rate: 10
//	options:
//	  i2c: "1"
//	  inputs:
//	    - {name: pressure, unit: Pa, input: ain0, range: 6.144, loop: {shunt: 250, min: 0, max: 1.6e6}}
//	    - {name: supply, unit: V, input: ain1, scale: 11}
type Options struct {
	I2C      string         `yaml:"i2c"`
	Address  uint16         `yaml:"address"`   // default 0x48
	DataRate float64        `yaml:"data_rate"` // ADC samples per second; default the fastest
	Inputs   []InputOptions `yaml:"inputs"`
}

// OpenADS1115 is the sensors.Opener of the "ads1115" driver.
func OpenADS1115(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	return open(ADS1115, spec, buses)
}

// OpenADS1015 is the sensors.Opener of the "ads1015" driver.
func OpenADS1015(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	return open(ADS1015, spec, buses)
}

func open(chip Chip, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("ads1x15: %w", err)
		}
	}
	cfg := Config{Chip: chip, Addr: o.Address, Rate: o.DataRate, Period: time.Second}
	if cfg.Addr == 0 {
		cfg.Addr = 0x48
	}
	if spec.Rate < 0 || math.IsNaN(spec.Rate) || math.IsInf(spec.Rate, 0) {
		return nil, fmt.Errorf("ads1x15: rate: %v must be > 0", spec.Rate)
	}
	if spec.Rate > 0 {
		cfg.Period = time.Duration(float64(time.Second) / spec.Rate)
	}
	for _, io := range o.Inputs {
		in := Input{Name: io.Name, Unit: io.Unit, Mux: io.Input, Range: io.Range, Scale: io.Scale, Offset: io.Offset}
		if in.Range == 0 {
			in.Range = 4.096
		}
		if io.Min != nil {
			in.Min = *io.Min
		}
		if io.Max != nil {
			in.Max = *io.Max
		}
		if io.Loop != nil {
			in.Loop = &Loop{Shunt: io.Loop.Shunt, Min: io.Loop.Min, Max: io.Loop.Max}
		}
		cfg.Inputs = append(cfg.Inputs, in)
	}
	if o.I2C == "" {
		return nil, fmt.Errorf("ads1x15: option i2c: missing")
	}
	bus, err := buses.I2C(o.I2C)
	if err != nil {
		return nil, fmt.Errorf("ads1x15: option i2c: %w", err)
	}
	return New(bus, cfg)
}
