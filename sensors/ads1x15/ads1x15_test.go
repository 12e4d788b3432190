package ads1x15

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const a = 0x48

func probe() i2ctest.IO { return i2ctest.IO{Addr: a, W: []byte{0x01}, R: []byte{0x85, 0x83}} } // power-on default 0x8583

// conversion is the datasheet's single-shot sequence: write config with
// OS=1, read config until OS reads 1 (idle), read the conversion register.
func conversion(config uint16, busy int, result uint16) []i2ctest.IO {
	ops := []i2ctest.IO{{Addr: a, W: []byte{0x01, byte(config >> 8), byte(config)}}}
	for range busy {
		ops = append(ops, i2ctest.IO{Addr: a, W: []byte{0x01}, R: []byte{byte(config>>8) &^ 0x80, byte(config)}})
	}
	ops = append(ops, i2ctest.IO{Addr: a, W: []byte{0x01}, R: []byte{byte(config >> 8), byte(config)}})
	return append(ops, i2ctest.IO{Addr: a, W: []byte{0x00}, R: []byte{byte(result >> 8), byte(result)}})
}

// Config words: OS | MUX | PGA | MODE single | DR 860 SPS | comparator off.
const (
	cfgAIN0_6V = 0x8000 | 4<<12 | 0<<9 | 0x100 | 7<<5 | 3 // 0xC1E3
	cfgAIN1_4V = 0x8000 | 5<<12 | 1<<9 | 0x100 | 7<<5 | 3 // 0xD3E3
)

func inputs() []Input {
	return []Input{
		{Name: "pressure", Unit: "Pa", Mux: "ain0", Range: 6.144, Loop: &Loop{Shunt: 250, Min: 0, Max: 16e5}},
		{Name: "supply", Unit: "V", Mux: "ain1", Range: 4.096, Scale: 11},
	}
}

func TestReadLoopAndVoltage(t *testing.T) {
	if cfgAIN0_6V != 0xC1E3 || cfgAIN1_4V != 0xD3E3 {
		t.Fatalf("config words %#x %#x", cfgAIN0_6V, cfgAIN1_4V)
	}
	ops := []i2ctest.IO{probe()}
	ops = append(ops, conversion(cfgAIN0_6V, 1, 16000)...)  // 3.0 V across 250 Ω = 12 mA, one busy poll first
	ops = append(ops, conversion(cfgAIN1_4V, 0, 0x2000)...) // 1.024 V × 11
	ops = append(ops, conversion(cfgAIN0_6V, 0, 0)...)      // 0 mA: open loop
	ops = append(ops, conversion(cfgAIN1_4V, 0, 0x7FFF)...) // full scale
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	clk := pace.NewVirtual(t0)
	d, err := New(bus, Config{Chip: ADS1115, Addr: a, Inputs: inputs(), Period: 100 * time.Millisecond, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Channels(); c[0] != (sensors.Channel{Name: "pressure", Unit: "Pa", Min: 0, Max: 16e5}) || c[1].Name != "supply" {
		t.Errorf("channels %+v", c)
	}
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Values[0]-8e5) > 1e-6 || math.Abs(s.Values[1]-11.264) > 1e-9 || !s.Valid {
		t.Errorf("first read %+v; want 8e5 Pa (12 mA) and 11.264 V", s)
	}
	// 1.1/860 s + 100 µs per wait, three waits (one busy poll).
	rate := 860.0
	if got, want := s.Time.Sub(t0), 3*(time.Duration(1.1*float64(time.Second)/rate)+100*time.Microsecond); got != want {
		t.Errorf("read finished at %v, want %v", got, want)
	}
	if err := d.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Valid || s.Fault != "pressure loop current 0.00 mA: open loop or transmitter fault" || s.Values[0] != -4e5 {
		t.Errorf("open loop: %+v", s)
	}
	if !s.Time.After(t0.Add(100 * time.Millisecond)) {
		t.Errorf("second read at %v, before its 100 ms tick", s.Time.Sub(t0))
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestADS1015LeftJustified(t *testing.T) {
	cfg := uint16(0x8000 | 4<<12 | 2<<9 | 0x100 | 4<<5 | 3) // ain0, ±2.048 V, 1600 SPS
	ops := append([]i2ctest.IO{probe()}, conversion(cfg, 0, 0x3E80)...)
	ops = append(ops, conversion(cfg, 0, 0x7FF0)...)
	d, err := New(&i2ctest.Playback{Ops: ops, DontPanic: true}, Config{Chip: ADS1015, Addr: a, Rate: 1600, Period: time.Second, Clock: pace.NewVirtual(t0),
		Inputs: []Input{{Name: "v", Mux: "AIN0", Range: 2.048}}})
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	d.Read(context.Background(), &s)
	if s.Values[0] != 1.0 || !s.Valid { // 0x3E80 >> 4 = 1000 codes × 1 mV
		t.Errorf("%+v, want 1.000 V", s)
	}
	d.Read(context.Background(), &s)
	if s.Valid || s.Fault != "v at full scale" {
		t.Errorf("full scale: %+v", s)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	if _, err := New(&i2ctest.Playback{DontPanic: true}, Config{Chip: ADS1115, Addr: a, Inputs: inputs(), Period: time.Second}); err == nil ||
		!strings.HasPrefix(err.Error(), "ads1x15: probe 0x48: i2ctest: unexpected Tx()") {
		t.Errorf("nothing at 0x48: %v", err)
	}
	stuck := []i2ctest.IO{probe(), {Addr: a, W: []byte{0x01, 0xC1, 0xE3}}}
	for range 3 {
		stuck = append(stuck, i2ctest.IO{Addr: a, W: []byte{0x01}, R: []byte{0x41, 0xE3}})
	}
	d, err := New(&i2ctest.Playback{Ops: stuck, DontPanic: true}, Config{Chip: ADS1115, Addr: a, Inputs: inputs()[:1], Period: time.Second, Clock: pace.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	if err := d.Read(ctx, &s); err == nil || !strings.Contains(err.Error(), "ads1x15: pressure: conversion not done after") {
		t.Errorf("converter never idle: %v", err)
	}
	d, _ = New(&i2ctest.Playback{Ops: []i2ctest.IO{probe()}, DontPanic: true}, Config{Chip: ADS1115, Addr: a, Inputs: inputs(), Period: time.Second, Clock: pace.NewVirtual(t0)})
	if err := d.Read(ctx, &s); err == nil || !strings.HasPrefix(err.Error(), "ads1x15: pressure: start conversion: ") {
		t.Errorf("disconnected after probe: %v", err)
	}
	d.Close()
	if err := d.Read(ctx, &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestOpen(t *testing.T) {
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{probe()}, DontPanic: true}
	buses := &sensortest.Buses{I2CBuses: map[string]i2c.Bus{"1": bus}}
	s, err := OpenADS1115(context.Background(), sensors.Spec{Rate: 10, Options: sensortest.Options(`
i2c: "1"
inputs:
  - {name: pressure, unit: Pa, input: ain0, range: 6.144, loop: {shunt: 250, min: 0, max: 1.6e6}}
  - {name: level, unit: m, input: ain2-ain3, min: 0, max: 5}
`)}, buses)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Channels(); len(c) != 2 || c[0].Max != 1.6e6 || c[1].Max != 5 || s.(*Dev).inputs[1].config != 0x8000|3<<12|1<<9|0x100|7<<5|3 {
		t.Errorf("channels %+v", c)
	}
	for _, tc := range []struct {
		rate       float64
		opts, want string
	}{
		{0, "{inputs: [{name: a, input: ain0}]}", "option i2c: missing"},
		{0, "{i2c: '2', inputs: [{name: a, input: ain0}]}", `option i2c: sensortest: i2c "2"`},
		{0, "{i2c: '1', address: 0x50, inputs: [{name: a, input: ain0}]}", "option address: 0x50"},
		{0, "{i2c: '1'}", "option inputs: 0 inputs"},
		{0, "{i2c: '1', inputs: [{name: a, input: ain4}]}", "option inputs[0].input: \"ain4\""},
		{0, "{i2c: '1', inputs: [{name: a, input: ain0}, {name: a, input: ain1}]}", "option inputs[1].name: \"a\""},
		{0, "{i2c: '1', inputs: [{name: a, input: ain0, range: 5}]}", "option inputs[0].range: 5 V"},
		{0, "{i2c: '1', inputs: [{name: a, input: ain0, loop: {shunt: 250, max: 1}}]}", "option inputs[0].loop.shunt: 250 Ω"},
		{0, "{i2c: '1', inputs: [{name: a, input: ain0, range: 6.144, loop: {shunt: 250, min: 1, max: 1}}]}", "option inputs[0].loop: min 1"},
		{0, "{i2c: '1', data_rate: 100, inputs: [{name: a, input: ain0}]}", "option data_rate: 100"},
		{1000, "{i2c: '1', data_rate: 8, inputs: [{name: a, input: ain0}]}", "rate: period 1ms is shorter than 1 conversions at 8 SPS"},
		{-3, "{i2c: '1', inputs: [{name: a, input: ain0}]}", "rate: -3"},
		{0, "{i2c: '1', colour: red}", "colour"},
	} {
		_, err := OpenADS1115(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ads1x15: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
