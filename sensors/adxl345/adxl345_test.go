package adxl345

import (
	"context"
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

// The register traffic below follows the datasheet: SPI reads set bit 7 of
// the address byte and bit 6 for multi-byte reads, and clock out one dummy
// byte per data byte; I²C reads write the register then read.

func spiR(reg byte, data ...byte) conntest.IO {
	w := make([]byte, len(data)+1)
	w[0] = 0x80 | reg
	if len(data) > 1 {
		w[0] |= 0x40
	}
	return conntest.IO{W: w, R: append([]byte{0}, data...)}
}

func spiW(reg, val byte) conntest.IO { return conntest.IO{W: []byte{reg, val}} }

func xyz(x, y, z int16) []byte {
	return []byte{byte(x), byte(uint16(x) >> 8), byte(y), byte(uint16(y) >> 8), byte(z), byte(uint16(z) >> 8)}
}

// setupSPI is probe + configuration for 3200 Hz, ±16 g, watermark 16.
func setupSPI() []conntest.IO {
	return []conntest.IO{
		spiR(0x00, 0xE5),    // DEVID
		spiW(0x2D, 0x00),    // POWER_CTL: standby
		spiW(0x2C, 0x0F),    // BW_RATE: 3200 Hz
		spiW(0x31, 0x0B),    // DATA_FORMAT: FULL_RES, ±16 g
		spiW(0x2E, 0x00),    // INT_ENABLE: none, we poll
		spiW(0x38, 0x00),    // FIFO_CTL: bypass, clears the FIFO
		spiW(0x38, 0x80|16), // FIFO_CTL: stream, watermark 16
		spiW(0x2D, 0x08),    // POWER_CTL: measure
	}
}

// poll is one FIFO poll over SPI returning samples with x = i, y = -i, z = 256+i.
func poll(first, n int) []conntest.IO {
	ops := []conntest.IO{spiR(0x39, byte(n))}
	for i := first; i < first+n; i++ {
		ops = append(ops, spiR(0x32, xyz(int16(i), int16(-i), int16(256+i))...))
	}
	return ops
}

func newSPIDev(t testing.TB, ops []conntest.IO, cfg Config) (*Dev, *spitest.Playback) {
	t.Helper()
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	if cfg.Rate == 0 {
		cfg = Config{Rate: 3200, Range: 16, Watermark: 16, Clock: cfg.Clock, Timeout: cfg.Timeout}
	}
	d, err := NewSPI(pb, DefaultSPIHz, cfg)
	if err != nil {
		t.Fatalf("NewSPI: %v", err)
	}
	return d, pb
}

func TestStreamSPI(t *testing.T) {
	ops := setupSPI()
	for p := range 4 {
		ops = append(ops, poll(16*p, 16)...)
	}
	ops = append(ops, spiW(0x2D, 0x00)) // Close: standby
	clk := pace.NewVirtual(t0)
	d, pb := newSPIDev(t, ops, Config{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var times []int64
	var vals []float64
	err := d.Stream(ctx, func(b *sensors.Batch) error {
		if b.Stride != 3 || b.Len() != 16 {
			t.Fatalf("batch stride %d len %d", b.Stride, b.Len())
		}
		for i := range b.Len() {
			if !b.Valid[i] {
				t.Errorf("sample %d invalid", len(times))
			}
			if b.Times[i] > clk.Now().UnixNano() {
				t.Errorf("sample %d stamped after the read that returned it", len(times))
			}
		}
		times = append(times, b.Times...)
		vals = append(vals, b.Values...)
		if len(times) == 64 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	const lsb = 9.80665 / 256
	for i := range 64 {
		want := []float64{float64(i) * lsb, float64(-i) * lsb, float64(256+i) * lsb}
		for c := range 3 {
			if math.Abs(vals[3*i+c]-want[c]) > 1e-12 {
				t.Fatalf("sample %d axis %d = %v, want %v", i, c, vals[3*i+c], want[c])
			}
		}
		if i > 0 {
			if dt := times[i] - times[i-1]; dt < 300_000 || dt > 330_000 {
				t.Fatalf("samples %d and %d are %d ns apart, want about 312500 (3200 Hz)", i-1, i, dt)
			}
		}
	}
	if vals[2] != 9.80665 {
		t.Errorf("z at 256 LSB = %v m/s^2, want exactly 1 g", vals[2])
	}
	// Polls every 16/3200 s = 5 ms.
	if got := clk.Now().Sub(t0); got != 15*time.Millisecond {
		t.Errorf("four polls took %v of clock, want 15 ms", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Errorf("register traffic not fully replayed: %v", err)
	}
}

func TestSaturationInvalid(t *testing.T) {
	ops := append(setupSPI(), spiR(0x39, 2),
		spiR(0x32, xyz(4095, 0, 0)...), // +16 g clipped (13-bit full resolution)
		spiR(0x32, xyz(4094, -4095, 1)...))
	d, _ := newSPIDev(t, ops, Config{Clock: pace.NewVirtual(t0)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.Stream(ctx, func(b *sensors.Batch) error {
		if b.Valid[0] || !b.Valid[1] {
			t.Errorf("valid flags %v, want the clipped sample invalid", b.Valid)
		}
		cancel()
		return nil
	})
}

func TestStreamI2C(t *testing.T) {
	const a = 0x1D
	ops := []i2ctest.IO{
		{Addr: a, W: []byte{0x00}, R: []byte{0xE5}},
		{Addr: a, W: []byte{0x2D, 0x00}},
		{Addr: a, W: []byte{0x2C, 0x0D}}, // 800 Hz
		{Addr: a, W: []byte{0x31, 0x08}}, // FULL_RES, ±2 g
		{Addr: a, W: []byte{0x2E, 0x00}},
		{Addr: a, W: []byte{0x38, 0x00}},
		{Addr: a, W: []byte{0x38, 0x84}}, // stream, watermark 4
		{Addr: a, W: []byte{0x2D, 0x08}},
		{Addr: a, W: []byte{0x39}, R: []byte{0x00}}, // empty at first
		{Addr: a, W: []byte{0x39}, R: []byte{0x02}},
		{Addr: a, W: []byte{0x32}, R: xyz(-512, 511, 100)},
		{Addr: a, W: []byte{0x32}, R: xyz(-1, 2, -3)},
	}
	bus := &i2ctest.Playback{Ops: ops, DontPanic: true}
	d, err := NewI2C(bus, a, Config{Rate: 800, Range: 2, Watermark: 4, Clock: pace.NewVirtual(t0), Names: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Channels(); c[0].Name != "a" || c[2].Max != 2*9.80665 || c[1].Min != -2*9.80665 {
		t.Errorf("channels %+v", c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = d.Stream(ctx, func(b *sensors.Batch) error {
		if b.Len() != 2 || b.Valid[0] || !b.Valid[1] || b.Values[3] != -9.80665/256 {
			t.Errorf("batch %+v; want the ±2 g extremes invalid", b)
		}
		cancel()
		return nil
	})
	if err != nil || bus.Count != len(ops) {
		t.Errorf("Stream %v after %d of %d ops", err, bus.Count, len(ops))
	}
	// The bus is now silent: the device is gone.
	if err := d.Close(); err == nil || !strings.HasPrefix(err.Error(), "adxl345: standby: ") {
		t.Errorf("Close on a dead bus: %v", err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	nop := func(*sensors.Batch) error { return nil }
	t.Run("wrong device", func(t *testing.T) {
		pb := &spitest.Playback{Playback: conntest.Playback{Ops: []conntest.IO{spiR(0x00, 0x00)}, DontPanic: true}}
		_, err := NewSPI(pb, DefaultSPIHz, Config{Rate: 3200, Range: 16, Watermark: 16})
		if err == nil || !strings.Contains(err.Error(), "device id 0x00, want 0xe5") {
			t.Errorf("NewSPI on a bus without the chip: %v", err)
		}
	})
	t.Run("no device on i2c", func(t *testing.T) {
		_, err := NewI2C(&i2ctest.Playback{DontPanic: true}, 0x53, Config{Rate: 100, Range: 16, Watermark: 16})
		if err == nil || !strings.HasPrefix(err.Error(), "adxl345: probe over i2c 0x53: ") {
			t.Errorf("NewI2C with nothing on the bus: %v", err)
		}
	})
	t.Run("floating miso", func(t *testing.T) {
		d, _ := newSPIDev(t, append(setupSPI(), spiR(0x39, 0xFF)), Config{Clock: pace.NewVirtual(t0)})
		if err := d.Stream(ctx, nop); err == nil || !strings.Contains(err.Error(), "fifo status 0xff is impossible") {
			t.Errorf("status 0xff: %v", err)
		}
	})
	t.Run("overrun", func(t *testing.T) {
		d, _ := newSPIDev(t, append(setupSPI(), spiR(0x39, 32), spiR(0x30, 0x83)), Config{Clock: pace.NewVirtual(t0)})
		if err := d.Stream(ctx, nop); !errors.Is(err, ErrOverrun) {
			t.Errorf("full FIFO with OVERRUN set: %v", err)
		}
	})
	t.Run("full but no overrun", func(t *testing.T) {
		ops := append(setupSPI(), spiR(0x39, 32), spiR(0x30, 0x82))
		ops = append(ops, poll(0, 32)[1:]...)
		d, pb := newSPIDev(t, ops, Config{Clock: pace.NewVirtual(t0)})
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		n := 0
		if err := d.Stream(cctx, func(b *sensors.Batch) error { n = b.Len(); cancel(); return nil }); err != nil || n != 32 || pb.Count != len(ops) {
			t.Errorf("full FIFO: %v, %d samples", err, n)
		}
	})
	t.Run("disconnect mid-stream", func(t *testing.T) {
		d, _ := newSPIDev(t, append(setupSPI(), spiR(0x39, 3), spiR(0x32, xyz(1, 2, 3)...)), Config{Clock: pace.NewVirtual(t0)})
		err := d.Stream(ctx, nop)
		if err == nil || !strings.HasPrefix(err.Error(), "adxl345: read fifo: conntest: unexpected Tx()") {
			t.Errorf("bus gone while reading the FIFO: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ops := setupSPI()
		for range 5 {
			ops = append(ops, spiR(0x39, 0))
		}
		clk := pace.NewVirtual(t0)
		d, _ := newSPIDev(t, ops, Config{Rate: 3200, Range: 16, Watermark: 16, Clock: clk, Timeout: 18 * time.Millisecond})
		err := d.Stream(ctx, nop)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no sample within 18ms") {
			t.Errorf("silent FIFO: %v", err)
		}
		if got := clk.Now().Sub(t0); got != 20*time.Millisecond {
			t.Errorf("gave up after %v, want the first poll past 18 ms (20 ms)", got)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		d, _ := newSPIDev(t, append(setupSPI(), poll(0, 1)...), Config{Clock: pace.NewVirtual(t0)})
		boom := errors.New("boom")
		if err := d.Stream(ctx, func(*sensors.Batch) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("callback error: %v", err)
		}
	})
}

func TestRead(t *testing.T) {
	ops := append(setupSPI(), spiR(0x39, 0), spiR(0x39, 1), spiR(0x32, xyz(10, 20, 30)...), spiW(0x2D, 0))
	clk := pace.NewVirtual(t0)
	d, pb := newSPIDev(t, ops, Config{Clock: clk})
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Values) != 3 || math.Abs(s.Values[1]-20*9.80665/256) > 1e-12 || !s.Valid || !s.Time.Equal(t0.Add(312500)) {
		t.Errorf("sample %+v", s)
	}
	d.Close()
	if err := pb.Close(); err != nil {
		t.Error(err)
	}
	if err := d.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestOpen(t *testing.T) {
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: setupSPI(), DontPanic: true}}
	buses := &sensortest.Buses{SPIPorts: map[string]spi.Port{"SPI0.0": pb}, I2CBuses: map[string]i2c.Bus{"1": &i2ctest.Playback{DontPanic: true}}}
	s, err := Open(context.Background(), sensors.Spec{Name: "pump", Options: sensortest.Options("spi: SPI0.0\nnames: [vib_x, vib_y, vib_z]")}, buses)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(sensors.Streamer); !ok || s.Channels()[0].Name != "vib_x" {
		t.Errorf("Open returned %T with %+v", s, s.Channels())
	}
	for _, tc := range []struct {
		rate       float64
		opts, want string
	}{
		{0, "{}", "spi and i2c: set exactly one"},
		{0, "{spi: a, i2c: b}", "spi and i2c: set exactly one"},
		{0, "{spi: SPI9.9}", "option spi: sensortest: spi \"SPI9.9\": sensors: no such bus"},
		{0, "{i2c: '1', address: 0x20}", "i2c address 0x20 is not 0x53 or 0x1d"},
		{0, "{i2c: '1', spi_hz: 100}", "option spi_hz: only for spi"},
		{0, "{spi: SPI0.0, address: 0x53}", "option address: only for i2c"},
		{0, "{spi: SPI0.0, spi_hz: 10000000}", "spi clock 10000000 Hz"},
		{1000, "{i2c: '1'}", "rate: 1000 Hz is not an output data rate"},
		{0, "{i2c: '1', range: 3}", "option range: 3"},
		{0, "{i2c: '1', watermark: 32}", "option watermark: 32"},
		{0, "{i2c: '1', names: [x]}", "option names: 1 names"},
		{0, "{i2c: '1', colour: red}", "colour"},
	} {
		_, err := Open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "adxl345: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestStamperTracksDeviceClock(t *testing.T) {
	for _, drift := range []float64{1, 1.02, 0.98} {
		s := stamper{nominal: 312500, period: 312500}
		devPeriod := 312500 / drift
		now, produced, emitted := int64(0), 0.0, 0
		var last int64
		for range 2000 { // 10 s of 5 ms polls
			now += 5_000_000
			avail := int(float64(now)/devPeriod) - int(produced)
			produced += float64(avail)
			times := make([]int64, avail)
			s.stamp(times, now)
			for i, tm := range times {
				trueT := float64(emitted+i) * devPeriod
				if tm <= last || (tm > now && emitted > 6400) {
					t.Fatalf("drift %v: time %d not in (%d, %d]", drift, tm, last, now)
				}
				if emitted > 6400 && math.Abs(float64(tm)-trueT) > 2*devPeriod {
					t.Fatalf("drift %v: sample %d stamped %d, taken at %.0f", drift, emitted+i, tm, trueT)
				}
				last = tm
			}
			emitted += avail
		}
	}
}

// BenchmarkStream3200 is the CPU cost of one second of 3.2 kHz three-axis
// data over SPI: 200 polls of 16 FIFO entries, replayed by spitest.
func BenchmarkStream3200(b *testing.B) {
	var sec []conntest.IO
	for p := range 200 {
		sec = append(sec, poll(16*p, 16)...)
	}
	ops := setupSPI()
	for range b.N {
		ops = append(ops, sec...)
	}
	clk := pace.NewVirtual(t0)
	d, _ := newSPIDev(b, ops, Config{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, total := 0, 3200*b.N
	b.ReportAllocs()
	b.ResetTimer()
	d.Stream(ctx, func(bt *sensors.Batch) error {
		if n += bt.Len(); n >= total {
			cancel()
		}
		return nil
	})
}
