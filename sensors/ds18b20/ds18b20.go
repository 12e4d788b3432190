package ds18b20

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/onewire"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Datasheet facts (DS18B20, Maxim 19-7487 Rev 6); see doc.go.
const (
	familyDS18B20 = 0x28
	familyDS1822  = 0x22

	cmdConvert = 0x44
	cmdRead    = 0xBE
	cmdWrite   = 0x4E

	powerOnRaw = 0x0550 // 85.0 °C, the scratchpad's value before any conversion
)

// conversion is the maximum conversion time per resolution (9 … 12 bits).
var conversion = map[int]time.Duration{
	9: 93750 * time.Microsecond, 10: 187500 * time.Microsecond,
	11: 375 * time.Millisecond, 12: 750 * time.Millisecond,
}

// ErrClosed is returned by a Dev used after Close.
var ErrClosed = errors.New("ds18b20: closed")

// Config sets up one thermometer.
type Config struct {
	// Address of the device; 0 searches the bus, which must then hold
	// exactly one DS18B20.
	Address    onewire.Address
	Resolution int           // bits, 9 … 12
	Period     time.Duration // between readings; at least the conversion time
	Name       string        // channel name, default "temperature"
	Clock      pace.Clock    // nil = pace.Wall{}
}

// Dev is a DS18B20 (or DS1822) on a 1-Wire bus. It implements
// sensors.Sensor and is used by one goroutine.
type Dev struct {
	dev    onewire.Dev
	res    int
	clock  pace.Clock
	tick   *pace.Ticker
	chans  []sensors.Channel
	spad   [9]byte
	last   float64
	haveOK bool
	closed bool
}

// New finds (or checks) the device, reads its scratchpad and sets the
// resolution if it differs. It does not copy to EEPROM, which wears.
func New(bus onewire.Bus, cfg Config) (*Dev, error) {
	conv, ok := conversion[cfg.Resolution]
	switch {
	case !ok:
		return nil, fmt.Errorf("ds18b20: option resolution: %d is not 9, 10, 11 or 12 bits", cfg.Resolution)
	case cfg.Period < conv:
		return nil, fmt.Errorf("ds18b20: rate: period %v is shorter than the %d-bit conversion time %v", cfg.Period, cfg.Resolution, conv)
	}
	if cfg.Clock == nil {
		cfg.Clock = pace.Wall{}
	}
	if cfg.Name == "" {
		cfg.Name = "temperature"
	}
	addr := cfg.Address
	if addr == 0 {
		found, err := bus.Search(false)
		if err != nil {
			return nil, fmt.Errorf("ds18b20: search: %w", err)
		}
		var ours []string
		for _, a := range found {
			if f := byte(a); f == familyDS18B20 || f == familyDS1822 {
				addr = a
				ours = append(ours, FormatAddress(a))
			}
		}
		if len(ours) != 1 {
			return nil, fmt.Errorf("ds18b20: option address: needed, the bus holds %d thermometers %v", len(ours), ours)
		}
	}
	if f := byte(addr); f != familyDS18B20 && f != familyDS1822 {
		return nil, fmt.Errorf("ds18b20: address %s: family 0x%02x is not a DS18B20 (0x28) or DS1822 (0x22)", FormatAddress(addr), f)
	}
	d := &Dev{
		dev:   onewire.Dev{Bus: bus, Addr: addr},
		res:   cfg.Resolution,
		clock: cfg.Clock,
		tick:  pace.NewTicker(cfg.Clock, cfg.Period),
		chans: []sensors.Channel{{Name: cfg.Name, Unit: "degC", Min: -55, Max: 125}},
	}
	if err := d.readScratchpad(); err != nil {
		return nil, err
	}
	want := byte(cfg.Resolution-9)<<5 | 0x1F
	if d.spad[4] != want {
		// Keep the alarm bytes TH and TL; change only the configuration.
		if err := d.dev.Tx([]byte{cmdWrite, d.spad[2], d.spad[3], want}, nil); err != nil {
			return nil, fmt.Errorf("ds18b20: %s: write scratchpad: %w", d.name(), err)
		}
	}
	return d, nil
}

func (d *Dev) name() string { return FormatAddress(d.dev.Addr) }

// Channels returns the temperature channel in degC.
func (d *Dev) Channels() []sensors.Channel { return d.chans }

// Read starts a conversion (with the strong pull-up parasite-powered
// devices need), waits for it and reads the scratchpad.
func (d *Dev) Read(ctx context.Context, s *sensors.Sample) error {
	if d.closed {
		return ErrClosed
	}
	if _, err := d.tick.Wait(ctx); err != nil {
		return err
	}
	if err := d.dev.TxPower([]byte{cmdConvert}, nil); err != nil {
		return fmt.Errorf("ds18b20: %s: convert: %w", d.name(), err)
	}
	if err := d.clock.SleepUntil(ctx, d.clock.Now().Add(conversion[d.res])); err != nil {
		return err
	}
	if err := d.readScratchpad(); err != nil {
		return err
	}
	raw := int16(uint16(d.spad[0]) | uint16(d.spad[1])<<8)
	// Undefined low bits at lower resolutions are masked.
	raw &^= int16(1<<(12-d.res)) - 1
	v := float64(raw) / 16
	if cap(s.Values) < 1 {
		s.Values = make([]float64, 1)
	}
	s.Values = s.Values[:1]
	s.Values[0], s.Time, s.Valid, s.Fault = v, d.clock.Now(), true, ""
	// 85 °C is what the scratchpad holds after a power-on reset: a
	// conversion that did not happen (brown-out, weak pull-up). It is only
	// believed when the previous reading was close to it.
	if raw == powerOnRaw && !(d.haveOK && math.Abs(d.last-85) < 5) {
		s.Valid, s.Fault = false, "power-on value 85 degC: conversion did not run"
		return nil
	}
	d.last, d.haveOK = v, true
	return nil
}

func (d *Dev) readScratchpad() error {
	if err := d.dev.Tx([]byte{cmdRead}, d.spad[:]); err != nil {
		return fmt.Errorf("ds18b20: %s: read scratchpad: %w", d.name(), err)
	}
	allFF := true
	for _, b := range d.spad {
		allFF = allFF && b == 0xFF
	}
	switch {
	case allFF:
		return fmt.Errorf("ds18b20: %s: scratchpad reads all 0xff: device not responding", d.name())
	case !onewire.CheckCRC(d.spad[:]):
		return fmt.Errorf("ds18b20: %s: scratchpad % x: crc mismatch", d.name(), d.spad[:])
	case d.spad[4]&0x9F != 0x1F:
		// Bits 4:0 of the configuration register always read 1, bit 7 reads 0.
		return fmt.Errorf("ds18b20: %s: scratchpad configuration 0x%02x is impossible", d.name(), d.spad[4])
	}
	return nil
}

// Close marks the device closed; the bus belongs to the caller.
func (d *Dev) Close() error {
	d.closed = true
	return nil
}

// FormatAddress prints an address the way Linux w1 names devices:
// family-serial in hex, e.g. 28-00000a1b2c3d.
func FormatAddress(a onewire.Address) string {
	serial := (uint64(a) >> 8) & 0xFFFFFFFFFFFF
	return fmt.Sprintf("%02x-%012x", byte(a), serial)
}

// ParseAddress reads an address as Linux w1 names it (28-00000a1b2c3d; the
// CRC byte is computed) or as the full 64-bit ROM code in hex (0x…, family
// code in the low byte, CRC checked).
func ParseAddress(s string) (onewire.Address, error) {
	if fam, serial, ok := strings.Cut(s, "-"); ok {
		f, err1 := strconv.ParseUint(fam, 16, 8)
		n, err2 := strconv.ParseUint(serial, 16, 48)
		if err1 != nil || err2 != nil || len(fam) != 2 || len(serial) != 12 {
			return 0, fmt.Errorf("address %q is not ff-ssssssssssss (family-serial in hex)", s)
		}
		var rom [8]byte
		v := f | n<<8
		for i := range 7 {
			rom[i] = byte(v >> (8 * i))
		}
		v |= uint64(onewire.CalcCRC(rom[:7])) << 56
		return onewire.Address(v), nil
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil || !strings.HasPrefix(s, "0x") {
		return 0, fmt.Errorf("address %q is neither family-serial (28-00000a1b2c3d) nor a 0x ROM code", s)
	}
	var rom [8]byte
	for i := range 8 {
		rom[i] = byte(v >> (8 * i))
	}
	if !onewire.CheckCRC(rom[:]) {
		return 0, fmt.Errorf("address %q: ROM code crc mismatch", s)
	}
	return onewire.Address(v), nil
}

// Options is the "ds18b20" driver's options block:
//
//	driver: ds18b20
//	rate: 1
//	options: {bus: w1, address: 28-00000a1b2c3d, resolution: 12}
type Options struct {
	Bus        string `yaml:"bus"`
	Address    string `yaml:"address"` // empty: the only DS18B20 on the bus
	Resolution int    `yaml:"resolution"`
	Name       string `yaml:"name"`
}

// Open is the sensors.Opener of the "ds18b20" driver. The default rate is
// one reading per second.
func Open(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("ds18b20: %w", err)
		}
	}
	cfg := Config{Resolution: o.Resolution, Name: o.Name, Period: time.Second}
	if cfg.Resolution == 0 {
		cfg.Resolution = 12
	}
	if spec.Rate < 0 || math.IsNaN(spec.Rate) || math.IsInf(spec.Rate, 0) {
		return nil, fmt.Errorf("ds18b20: rate: %v must be > 0", spec.Rate)
	}
	if spec.Rate > 0 {
		cfg.Period = time.Duration(float64(time.Second) / spec.Rate)
	}
	if o.Address != "" {
		a, err := ParseAddress(o.Address)
		if err != nil {
			return nil, fmt.Errorf("ds18b20: option %w", err)
		}
		cfg.Address = a
	}
	if o.Bus == "" {
		return nil, fmt.Errorf("ds18b20: option bus: missing")
	}
	bus, err := buses.OneWire(o.Bus)
	if err != nil {
		return nil, fmt.Errorf("ds18b20: option bus: %w", err)
	}
	return New(bus, cfg)
}
