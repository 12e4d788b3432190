package ina219

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

const a = 0x40

// The default setup: 0.1 Ω, 3.2 A (PG ÷8, ±320 mV), 32 V, 12-bit single
// samples, continuous: BRNG | PG=11 | BADC=0011 | SADC=0011 | MODE=111.
const defaultConfig = 1<<13 | 3<<11 | 3<<7 | 3<<3 | 7 // 0x399F, the power-on value

func setup(config uint16) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: a, W: []byte{0x00, 0x80, 0x00}},                                 // reset
		{Addr: a, W: []byte{0x00, byte(config >> 8), byte(config)}},            // configure
		{Addr: a, W: []byte{0x00}, R: []byte{byte(config >> 8), byte(config)}}, // read back
	}
}

func reading(bus, shunt uint16) []i2ctest.IO {
	return []i2ctest.IO{
		{Addr: a, W: []byte{0x02}, R: []byte{byte(bus >> 8), byte(bus)}},
		{Addr: a, W: []byte{0x01}, R: []byte{byte(shunt >> 8), byte(shunt)}},
	}
}

func cfg(clk pace.Clock) Config {
	return Config{Addr: a, Shunt: 0.1, MaxCurrent: 3.2, BusRange: 32, Averaging: 1, Period: 100 * time.Millisecond, Clock: clk}
}

func TestRead(t *testing.T) {
	if defaultConfig != 0x399F {
		t.Fatalf("default config %#x", defaultConfig)
	}
	neg := int16(-5000)
	ops := setup(defaultConfig)
	ops = append(ops, reading(3000<<3|2, 10000)...)     // 12.000 V, 100 mV / 0.1 Ω = 1 A, CNVR set
	ops = append(ops, reading(3000<<3, uint16(neg))...) // −0.5 A (reverse current)
	ops = append(ops, reading(3000<<3|1, 32000)...)     // overflow flag
	ops = append(ops, reading(3000<<3, 32000)...)       // 320 mV: at full scale
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	clk := pace.NewVirtual(t0)
	d, err := New(bus, cfg(clk))
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Channels(); c[1].Name != "current" || c[1].Unit != "A" || math.Abs(c[1].Max-3.2) > 1e-12 || c[1].Min != -c[1].Max || c[0].Max != 32 {
		t.Errorf("channels %+v", c)
	}
	want := []struct {
		v, i, p float64
		fault   string
	}{
		{12, 1, 12, ""},
		{12, -0.5, -6, ""},
		{12, 3.2, 38.4, "overflow: current or power beyond range"},
		{12, 3.2, 38.4, "shunt voltage at full scale"},
	}
	var s sensors.Sample
	for k, w := range want {
		if err := d.Read(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		got := []float64{w.v, w.i, w.p}
		for c := range got {
			if math.Abs(s.Values[c]-got[c]) > 1e-9 {
				t.Errorf("read %d: %v, want %v", k, s.Values, got)
			}
		}
		if s.Valid != (w.fault == "") || s.Fault != w.fault || !s.Time.Equal(t0.Add(time.Duration(k)*100*time.Millisecond)) {
			t.Errorf("read %d: valid=%v fault=%q at %v", k, s.Valid, s.Fault, s.Time.Sub(t0))
		}
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
}

func TestRangeAndAveragingChoice(t *testing.T) {
	// 0.5 A across 0.1 Ω = 50 mV: PG ÷2 (±80 mV); 16 V; 128 samples averaged.
	config := uint16(1<<11 | 0xF<<7 | 0xF<<3 | 7)
	c := cfg(pace.NewVirtual(t0))
	c.MaxCurrent, c.BusRange, c.Averaging, c.Period = 0.5, 16, 128, time.Second
	d, err := New(&i2ctest.Playback{Ops: setup(config), DontPanic: true}, c)
	if err != nil {
		t.Fatal(err)
	}
	if d.fsr != 0.080 || math.Abs(d.Channels()[1].Max-0.8) > 1e-12 {
		t.Errorf("shunt range %v V", d.fsr)
	}
}

func TestFaults(t *testing.T) {
	if _, err := New(&i2ctest.Playback{DontPanic: true}, cfg(nil)); err == nil || !strings.HasPrefix(err.Error(), "ina219: reset 0x40: i2ctest: unexpected Tx()") {
		t.Errorf("no device: %v", err)
	}
	ops := setup(defaultConfig)
	ops[2].R = []byte{0xFF, 0xFF}
	if _, err := New(&i2ctest.Playback{Ops: ops, DontPanic: true}, cfg(nil)); err == nil || !strings.Contains(err.Error(), "config reads 0xffff after writing 0x399f") {
		t.Errorf("something else at 0x40: %v", err)
	}
	d, err := New(&i2ctest.Playback{Ops: setup(defaultConfig), DontPanic: true}, cfg(pace.NewVirtual(t0)))
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err == nil || !strings.HasPrefix(err.Error(), "ina219: read bus voltage: ") {
		t.Errorf("disconnected: %v", err)
	}
	d.Close()
	if err := d.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestOpen(t *testing.T) {
	buses := &sensortest.Buses{I2CBuses: map[string]i2c.Bus{"1": &i2ctest.Playback{Ops: setup(defaultConfig), DontPanic: true}}}
	if _, err := Open(context.Background(), sensors.Spec{Rate: 10, Options: sensortest.Options(`{i2c: "1"}`)}, buses); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		rate       float64
		opts, want string
	}{
		{0, "{}", "option i2c: missing"},
		{0, "{i2c: '9'}", `option i2c: sensortest: i2c "9"`},
		{0, "{i2c: '1', address: 0x50}", "option address: 0x50"},
		{0, "{i2c: '1', shunt: -1}", "option shunt: -1"},
		{0, "{i2c: '1', max_current: 10}", "option max_current: 10 A across 0.1 Ω is 1.000 V"},
		{0, "{i2c: '1', bus_range: 24}", "option bus_range: 24"},
		{0, "{i2c: '1', averaging: 3}", "option averaging: 3"},
		{1000, "{i2c: '1', averaging: 128}", "rate: period 1ms is shorter"},
		{-1, "{i2c: '1'}", "rate: -1"},
		{0, "{i2c: '1', volts: 5}", "volts"},
	} {
		_, err := Open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ina219: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
