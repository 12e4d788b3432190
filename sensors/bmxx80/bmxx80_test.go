package bmxx80

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// The worked example of the BMP280 datasheet (section 3.12): trimming
// values, raw readings and the compensated results.
var example = calibration{
	t1: 27504, t2: 26435, t3: -1000,
	p1: 36477, p2: -10685, p3: 3024, p4: 2855, p5: 140, p6: -7, p7: 15500, p8: -14600, p9: 6000,
	// Humidity trimming as found on a typical BME280.
	h1: 75, h2: 362, h3: 0, h4: 313, h5: 50, h6: 30,
}

const exampleT, exampleP = 519888, 415148

func TestCompensationDatasheetExample(t *testing.T) {
	temp, fine := example.temperature(exampleT)
	if temp != 2508 || fine != 128422 {
		t.Errorf("T = %d (0.01 °C), t_fine = %d; datasheet: 25.08 °C, 128422", temp, fine)
	}
	if p := float64(example.pressure(exampleP, fine)) / 256; math.Abs(p-100653.27) > 0.5 {
		t.Errorf("p = %.2f Pa; datasheet: 100653.27 Pa", p)
	}
	var zero calibration
	zero.p1 = 0
	if p := zero.pressure(exampleP, fine); p != 0 {
		t.Errorf("dig_P1 = 0 must not divide by zero, got %d", p)
	}
}

// humidityFloat is the datasheet's double-precision humidity formula, an
// independent check of the integer one the driver uses.
func humidityFloat(c calibration, adcH, fine int32) float64 {
	h := float64(fine) - 76800
	h = (float64(adcH) - (float64(c.h4)*64 + float64(c.h5)/16384*h)) *
		(float64(c.h2) / 65536 * (1 + float64(c.h6)/67108864*h*(1+float64(c.h3)/67108864*h)))
	h *= 1 - float64(c.h1)*h/524288
	return math.Max(0, math.Min(100, h))
}

func TestHumidityMatchesFloatFormula(t *testing.T) {
	for _, adcT := range []int32{400000, exampleT, 560000} {
		_, fine := example.temperature(adcT)
		for adcH := int32(20000); adcH <= 45000; adcH += 500 {
			got := float64(example.humidity(adcH, fine)) / 1024
			want := humidityFloat(example, adcH, fine)
			if math.Abs(got-want) > 0.05 {
				t.Fatalf("adcT %d adcH %d: %.3f %%RH, float formula %.3f", adcT, adcH, got, want)
			}
		}
	}
	_, fine := example.temperature(exampleT)
	if h := example.humidity(0, fine); h != 0 {
		t.Errorf("humidity clamps at 0, got %d", h)
	}
	if h := float64(example.humidity(65535, fine)) / 1024; h != 100 {
		t.Errorf("humidity clamps at 100 %%RH, got %v", h)
	}
}

// calBytes encodes the example as the chip's NVM: 0x88 … 0xA1 and 0xE1 … 0xE7.
func calBytes(c calibration) ([]byte, []byte) {
	tp := make([]byte, 26)
	le := binary.LittleEndian
	for i, v := range []uint16{c.t1, uint16(c.t2), uint16(c.t3), c.p1, uint16(c.p2), uint16(c.p3), uint16(c.p4),
		uint16(c.p5), uint16(c.p6), uint16(c.p7), uint16(c.p8), uint16(c.p9)} {
		le.PutUint16(tp[2*i:], v)
	}
	tp[25] = c.h1
	h := []byte{byte(c.h2), byte(uint16(c.h2) >> 8), c.h3,
		byte(c.h4 >> 4), byte(c.h4&0xF) | byte(c.h5&0xF)<<4, byte(c.h5 >> 4), byte(c.h6)}
	return tp, h
}

func data(adcP, adcT, adcH int32) []byte {
	return []byte{byte(adcP >> 12), byte(adcP >> 4), byte(adcP << 4), byte(adcT >> 12), byte(adcT >> 4), byte(adcT << 4), byte(adcH >> 8), byte(adcH)}
}

const addr = 0x76

func i2cSetup(osH, config, ctrl byte) []i2ctest.IO {
	tp, h := calBytes(example)
	return []i2ctest.IO{
		{Addr: addr, W: []byte{0xD0}, R: []byte{0x60}},
		{Addr: addr, W: []byte{0xE0, 0xB6}},
		{Addr: addr, W: []byte{0xF3}, R: []byte{0x01}}, // still copying NVM
		{Addr: addr, W: []byte{0xF3}, R: []byte{0x00}},
		{Addr: addr, W: []byte{0x88}, R: tp},
		{Addr: addr, W: []byte{0xE1}, R: h},
		{Addr: addr, W: []byte{0xF2, osH}},
		{Addr: addr, W: []byte{0xF5, config}},
		{Addr: addr, W: []byte{0xF4, ctrl}},
	}
}

func TestBME280OverI2C(t *testing.T) {
	// 1 s period, ×1 each: t_measure = 1.25+2.3+2.875+2.875 = 9.3 ms;
	// the longest standby within 1 s − 9.3 ms is 500 ms (code 4).
	ops := i2cSetup(0x01, 4<<5|2<<2, 1<<5|1<<2|3)
	ops = append(ops,
		i2ctest.IO{Addr: addr, W: []byte{0xF7}, R: data(exampleP, exampleT, 30000)},
		i2ctest.IO{Addr: addr, W: []byte{0xF7}, R: data(0x80000, 0x80000, 0x8000)}, // reset by a brown-out
		i2ctest.IO{Addr: addr, W: []byte{0xF2, 0x01}},                              // re-armed
		i2ctest.IO{Addr: addr, W: []byte{0xF5, 4<<5 | 2<<2}},
		i2ctest.IO{Addr: addr, W: []byte{0xF4, 1<<5 | 1<<2 | 3}},
		i2ctest.IO{Addr: addr, W: []byte{0xF4, 1<<5 | 1<<2}}, // Close: sleep mode
	)
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	clk := pace.NewVirtual(t0)
	d, err := NewI2C(bus, addr, Config{Chip: BME280, OversampleT: 1, OversampleP: 1, OversampleH: 1, Filter: 4, Period: time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Channels(); len(c) != 3 || c[2] != (sensors.Channel{Name: "humidity", Unit: "%", Min: 0, Max: 100}) {
		t.Errorf("channels %+v", c)
	}
	ready := t0.Add(4*time.Millisecond + 9300*time.Microsecond) // two status polls, then one measurement
	if !clk.Now().Equal(ready) {
		t.Errorf("open returned at %v, want %v", clk.Now().Sub(t0), ready.Sub(t0))
	}
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	_, fine := example.temperature(exampleT)
	if s.Values[0] != 25.08 || math.Abs(s.Values[1]-100653.27) > 0.5 || math.Abs(s.Values[2]-humidityFloat(example, 30000, fine)) > 0.05 || !s.Valid {
		t.Errorf("sample %+v", s)
	}
	if err := d.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Valid || !strings.Contains(s.Fault, "re-armed") || !math.IsNaN(s.Values[0]) {
		t.Errorf("after a chip reset: %+v", s)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
	if err := d.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestBMP280OverSPI(t *testing.T) {
	tp, _ := calBytes(example)
	r := func(reg byte, data ...byte) conntest.IO {
		return conntest.IO{W: append([]byte{reg | 0x80}, make([]byte, len(data))...), R: append([]byte{0}, data...)}
	}
	w := func(reg, v byte) conntest.IO { return conntest.IO{W: []byte{reg & 0x7F, v}} }
	// 10 Hz, T ×2, P ×16, filter 16: t_measure = 1.25+4.6+37.375 = 43.225 ms;
	// standby 0.5 ms is the longest that fits 100 ms on a BMP280.
	ops := []conntest.IO{
		r(0xD0, 0x58), w(0xE0, 0xB6), r(0xF3, 0x00), r(0x88, tp...),
		w(0xF5, 0<<5|4<<2), w(0xF4, 2<<5|5<<2|3),
		r(0xF7, data(exampleP, exampleT, 0)[:6]...),
		r(0xF7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), // MISO floating: the chip is gone
	}
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	d, err := NewSPI(pb, 1_000_000, Config{Chip: BMP280, OversampleT: 2, OversampleP: 16, Filter: 16, Period: 100 * time.Millisecond, Clock: pace.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Channels()) != 2 {
		t.Errorf("a BMP280 has %d channels", len(d.Channels()))
	}
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err != nil || s.Values[0] != 25.08 || len(s.Values) != 2 {
		t.Errorf("read %+v %v", s, err)
	}
	if err := d.Read(context.Background(), &s); err == nil || !strings.Contains(err.Error(), "data registers all 0xff: device not responding") {
		t.Errorf("floating bus: %v", err)
	}
}

func TestProbeFaults(t *testing.T) {
	cfg := Config{Chip: BME280, OversampleT: 1, OversampleP: 1, OversampleH: 1, Period: time.Second, Clock: pace.NewVirtual(t0)}
	probe := func(id byte, more ...i2ctest.IO) *i2ctest.Playback {
		return &i2ctest.Playback{Ops: append([]i2ctest.IO{{Addr: addr, W: []byte{0xD0}, R: []byte{id}}}, more...), DontPanic: true}
	}
	zeros := make([]byte, 26)
	for _, tc := range []struct {
		name string
		bus  i2c.Bus
		cfg  func(Config) Config
		want string
	}{
		{"nothing there", &i2ctest.Playback{DontPanic: true}, nil, "bmxx80: probe over i2c 0x76: i2ctest: unexpected Tx()"},
		{"bmp180", probe(0x55), nil, "chip id 0x55 is a BMP180"},
		{"unknown", probe(0x42), nil, "chip id 0x42 is not a BME280"},
		{"bmp280 as bme280", probe(0x58), nil, "found a bmp280, configured as bme280"},
		{"nvm stuck", probe(0x60, i2ctest.IO{Addr: addr, W: []byte{0xE0, 0xB6}},
			i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{1}}, i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{1}},
			i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{1}}, i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{1}},
			i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{1}}), nil, "still copying NVM 10 ms after reset"},
		{"blank nvm", probe(0x60, i2ctest.IO{Addr: addr, W: []byte{0xE0, 0xB6}}, i2ctest.IO{Addr: addr, W: []byte{0xF3}, R: []byte{0}},
			i2ctest.IO{Addr: addr, W: []byte{0x88}, R: zeros}, i2ctest.IO{Addr: addr, W: []byte{0xE1}, R: make([]byte, 7)}), nil, "calibration dig_T1=0 dig_P1=0"},
		{"too fast", probe(0x60), func(c Config) Config { c.Period = 5 * time.Millisecond; return c }, "rate: period 5ms is shorter than one measurement (9.3ms)"},
		{"bad oversampling", probe(0x60), func(c Config) Config { c.OversampleP = 3; return c }, "option oversampling.pressure: 3"},
		{"no temperature", probe(0x60), func(c Config) Config { c.OversampleT = 0; return c }, "option oversampling.temperature: 0"},
		{"bad filter", probe(0x60), func(c Config) Config { c.Filter = 5; return c }, "option filter: 5"},
		{"bmp280 humidity", probe(0x58), func(c Config) Config { c.Chip = BMP280; return c }, "a BMP280 has no humidity sensor"},
	} {
		c := cfg
		if tc.cfg != nil {
			c = tc.cfg(c)
		}
		if _, err := NewI2C(tc.bus, addr, c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	bus := &i2ctest.Playback{Ops: i2cSetup(0x01, 5<<5, 1<<5|1<<2|3), DontPanic: true}
	buses := &sensortest.Buses{I2CBuses: map[string]i2c.Bus{"1": bus}, SPIPorts: map[string]spi.Port{}}
	// 0.5 Hz: standby 1 s (code 5) is the longest a BME280 offers.
	s, err := OpenBME280(context.Background(), sensors.Spec{Rate: 0.5, Options: sensortest.Options(`{i2c: "1"}`)}, buses)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Channels()) != 3 {
		t.Errorf("channels %+v", s.Channels())
	}
	for _, tc := range []struct {
		open       func(context.Context, sensors.Spec, sensors.Buses) (sensors.Sensor, error)
		rate       float64
		opts, want string
	}{
		{OpenBME280, 0, "{}", "options i2c and spi: set exactly one"},
		{OpenBME280, 0, "{i2c: '2'}", `option i2c: sensortest: i2c "2"`},
		{OpenBME280, 0, "{spi: SPI0.0}", `option spi: sensortest: spi "SPI0.0"`},
		{OpenBME280, 0, "{spi: SPI0.0, address: 0x76}", "option address: only for i2c"},
		{OpenBME280, 0, "{i2c: '1', spi_hz: 5}", "option spi_hz: only for spi"},
		{OpenBME280, 0, "{i2c: '1', address: 0x40}", "option address: 0x40"},
		{OpenBMP280, 0, "{i2c: '1', oversampling: {humidity: 2}}", "a BMP280 has no humidity sensor"},
		{OpenBME280, -1, "{i2c: '1'}", "rate: -1"},
		{OpenBME280, 0, "{i2c: '1', oversampling: {wind: 2}}", "wind"},
	} {
		_, err := tc.open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bmxx80: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
