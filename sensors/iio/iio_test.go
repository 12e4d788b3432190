package iio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// tree builds a fake /sys/bus/iio/devices and /dev in t.TempDir(), laid out
// like the kernel's adxl345 driver (legacy scan_elements/ and buffer/)
// plus an ADC and a thermometer channel. The buffer device is a FIFO, a
// real pollable kernel object the test writes scans into.
func tree(t *testing.T, modern bool) (sys, dev string) {
	t.Helper()
	root := t.TempDir()
	sys, dev = filepath.Join(root, "sys"), filepath.Join(root, "dev")
	d := filepath.Join(sys, "iio:device0")
	scan, ctl := filepath.Join(d, "scan_elements"), filepath.Join(d, "buffer")
	if modern {
		scan, ctl = filepath.Join(d, "buffer0"), filepath.Join(d, "buffer0")
	}
	files := map[string]string{
		"iio:device0/name":                      "adxl345\n",
		"iio:device0/in_accel_x_raw":            "12\n",
		"iio:device0/in_accel_y_raw":            "-5\n",
		"iio:device0/in_accel_z_raw":            "256\n",
		"iio:device0/in_accel_scale":            "0.038307\n",
		"iio:device0/in_accel_z_offset":         "-1\n",
		"iio:device0/in_voltage0_raw":           "1024\n",
		"iio:device0/in_voltage_scale":          "0.5\n",
		"iio:device0/in_temp_input":             "36500\n",
		"iio:device0/sampling_frequency":        "100.000000\n",
		"iio:device0/trigger/current_trigger":   "\n",
		"iio:device1/name":                      "bme280\n",
		"iio:device1/in_pressure_input":         "101.325\n",
		"iio:device1/in_humidityrelative_input": "45123\n",
	}
	for i, ax := range []string{"x", "y", "z"} {
		files[rel(sys, scan)+"/in_accel_"+ax+"_en"] = "0\n"
		files[rel(sys, scan)+"/in_accel_"+ax+"_index"] = string(rune('0'+i)) + "\n"
		files[rel(sys, scan)+"/in_accel_"+ax+"_type"] = "le:s13/16>>0\n"
	}
	files[rel(sys, scan)+"/in_timestamp_en"] = "0\n"
	files[rel(sys, scan)+"/in_timestamp_index"] = "3\n"
	files[rel(sys, scan)+"/in_timestamp_type"] = "le:s64/64>>0\n"
	files[rel(sys, ctl)+"/enable"] = "0\n"
	files[rel(sys, ctl)+"/length"] = "64\n"
	for name, text := range files {
		p := filepath.Join(sys, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(text), 0o644))
	}
	must(t, os.MkdirAll(dev, 0o755))
	must(t, syscall.Mkfifo(filepath.Join(dev, "iio:device0"), 0o600))
	return sys, dev
}

func rel(base, p string) string { r, _ := filepath.Rel(base, p); return r }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func attr(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return strings.TrimSpace(string(b))
}

func TestPolled(t *testing.T) {
	sys, dev := tree(t, false)
	clk := pace.NewVirtual(t0)
	p, err := NewPolled(Config{SysRoot: sys, DevRoot: dev, Device: "adxl345", Rate: 4, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	names := []string{"accel_x", "accel_y", "accel_z", "temp", "voltage0"}
	units := []string{"m/s^2", "m/s^2", "m/s^2", "degC", "V"}
	for i, c := range p.Channels() {
		if c.Name != names[i] || c.Unit != units[i] {
			t.Errorf("channel %d = %+v, want %s in %s", i, c, names[i], units[i])
		}
	}
	var s sensors.Sample
	must(t, p.Read(context.Background(), &s))
	// (raw + offset) × scale, then IIO units to SI: mV → V, m°C → °C.
	want := []float64{12 * 0.038307, -5 * 0.038307, 255 * 0.038307, 36.5, 0.512}
	for i, w := range want {
		if math.Abs(s.Values[i]-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", names[i], s.Values[i], w)
		}
	}
	// The files are re-read each time (pread at 0), as sysfs regenerates them.
	must(t, os.WriteFile(filepath.Join(sys, "iio:device0", "in_voltage0_raw"), []byte("2048\n"), 0o644))
	must(t, p.Read(context.Background(), &s))
	if s.Values[4] != 1.024 || !s.Time.Equal(t0.Add(250*time.Millisecond)) {
		t.Errorf("second read: %v at %v", s.Values, s.Time.Sub(t0))
	}
	must(t, os.WriteFile(filepath.Join(sys, "iio:device0", "in_voltage0_raw"), []byte("oops\n"), 0o644))
	if err := p.Read(context.Background(), &s); err == nil || !strings.Contains(err.Error(), `iio: iio:device0: voltage0 reads "oops", not a number`) {
		t.Errorf("garbage in sysfs: %v", err)
	}

	q, err := NewPolled(Config{SysRoot: sys, DevRoot: dev, Device: "iio:device1", Names: []string{"rh", "p"}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	must(t, q.Read(context.Background(), &s))
	if c := q.Channels(); c[0].Name != "rh" || c[0].Unit != "%" || c[1].Unit != "Pa" || s.Values[0] != 45.123 || s.Values[1] != 101325 {
		t.Errorf("bme280: %+v %v", c, s.Values)
	}
	q.Close()
	if err := q.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	sys, dev := tree(t, false)
	os.MkdirAll(filepath.Join(sys, "iio:device2"), 0o755)
	os.WriteFile(filepath.Join(sys, "iio:device2", "name"), []byte("adxl345\n"), 0o644)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "option device: missing"},
		{Config{Device: "lis3dh"}, `option device: no IIO device named "lis3dh"`},
		{Config{Device: "adxl345"}, "option device: 2 IIO devices are named \"adxl345\" (iio:device0, iio:device2)"},
		{Config{Device: "iio:device9"}, `option device: "iio:device9"`},
		{Config{Device: "iio:device0", Channels: []string{"accel_w"}}, `option channels[0]: iio:device0 has no channel "accel_w" (channels: accel_x, accel_y, accel_z, temp, voltage0)`},
		{Config{Device: "iio:device0", Names: []string{"a"}}, "option names: 1 names for 5 channels"},
		{Config{Device: "iio:device0", Rate: -1}, "rate: -1"},
		{Config{Device: "iio:device1", Buffered: true}, "option buffered: the device has no buffer"},
		{Config{Device: "iio:device0", Buffered: true, Channels: []string{"voltage0"}}, "channel voltage0 cannot be buffered"},
	} {
		tc.cfg.SysRoot, tc.cfg.DevRoot = sys, dev
		var err error
		if tc.cfg.Buffered {
			_, err = NewBuffered(tc.cfg)
		} else {
			_, err = NewPolled(tc.cfg)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "iio: ") {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestBuffered(t *testing.T) {
	for _, modern := range []bool{false, true} {
		sys, dev := tree(t, modern)
		d := filepath.Join(sys, "iio:device0")
		ctl, scanDir := filepath.Join(d, "buffer"), filepath.Join(d, "scan_elements")
		if modern {
			ctl, scanDir = filepath.Join(d, "buffer0"), filepath.Join(d, "buffer0")
		}
		// The writer end, opened read-write so that it exists before the
		// driver opens the device and never makes the reader see EOF.
		w, err := os.OpenFile(filepath.Join(dev, "iio:device0"), os.O_RDWR, 0)
		must(t, err)
		defer w.Close()
		b, err := NewBuffered(Config{SysRoot: sys, DevRoot: dev, Device: "adxl345", Channels: []string{"accel_z", "accel_x"},
			Rate: 200, Trigger: "adxl345-dev0", Length: 128})
		if err != nil {
			t.Fatal(err)
		}
		for f, want := range map[string]string{
			ctl + "/enable": "1", ctl + "/length": "128", d + "/sampling_frequency": "200",
			d + "/trigger/current_trigger": "adxl345-dev0",
			scanDir + "/in_accel_x_en":     "1", scanDir + "/in_accel_y_en": "0", scanDir + "/in_accel_z_en": "1", scanDir + "/in_timestamp_en": "1",
		} {
			if got := attr(t, f); got != want {
				t.Errorf("%s = %q, want %q", rel(sys, f), got, want)
			}
		}
		// Y is disabled, so the record is x, z, padding, timestamp. The
		// second write splits a record to exercise partial reads.
		rec := func(x, z int16, ts int64) []byte {
			r := make([]byte, 16)
			binary.LittleEndian.PutUint16(r[0:], uint16(x))
			binary.LittleEndian.PutUint16(r[2:], uint16(z))
			binary.LittleEndian.PutUint64(r[8:], uint64(ts))
			return r
		}
		base := t0.UnixNano()
		data := append(rec(1, 256, base), rec(-4096, 4095, base+5e6)...)
		data = append(data, rec(7, 8, base+10e6)...)
		_, err = w.Write(data[:40])
		must(t, err)
		var got []string
		var times []int64
		ctx, cancel := context.WithCancel(context.Background())
		writes := 1
		err = b.Stream(ctx, func(bt *sensors.Batch) error {
			for i := range bt.Len() {
				times = append(times, bt.Times[i])
				got = append(got, fmt.Sprintf("%.0f %.0f", bt.Values[2*i]/0.038307, bt.Values[2*i+1]/0.038307))
			}
			if writes == 1 {
				writes++
				_, err := w.Write(data[40:])
				return err
			}
			if len(got) == 3 {
				cancel()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Channels come in the configured order (z then x); z has offset −1.
		if strings.Join(got, ",") != "255 1,4094 -4096,7 7" || times[0] != base || times[2] != base+10e6 {
			t.Errorf("modern=%v: scans %q at %v", modern, got, times)
		}
		must(t, b.Close())
		if attr(t, ctl+"/enable") != "0" {
			t.Error("Close left the buffer enabled")
		}
	}
}

func TestBufferedTimeoutAndRead(t *testing.T) {
	sys, dev := tree(t, true)
	w, err := os.OpenFile(filepath.Join(dev, "iio:device0"), os.O_RDWR, 0)
	must(t, err)
	defer w.Close()
	// No timestamp element: remove it so times come from the host clock
	// and sampling_frequency (100 Hz).
	for _, f := range []string{"in_timestamp_en", "in_timestamp_index", "in_timestamp_type"} {
		must(t, os.Remove(filepath.Join(sys, "iio:device0", "buffer0", f)))
	}
	b, err := NewBuffered(Config{SysRoot: sys, DevRoot: dev, Device: "iio:device0", Channels: []string{"accel_x"}, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w.Write([]byte{1, 0, 2, 0, 3, 0}) // three 2-byte scans
	var s sensors.Sample
	var ts []time.Time
	for i := range 3 {
		must(t, b.Read(context.Background(), &s))
		if math.Abs(s.Values[0]-float64(i+1)*0.038307) > 1e-12 {
			t.Errorf("scan %d = %v", i, s.Values[0])
		}
		ts = append(ts, s.Time)
	}
	if d := ts[2].Sub(ts[1]); d != 10*time.Millisecond {
		t.Errorf("scans %v apart, want 10 ms at 100 Hz", d)
	}
	start := time.Now()
	err = b.Stream(context.Background(), func(*sensors.Batch) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no scan within 300ms") {
		t.Errorf("silent device: %v", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Stream(ctx, func(*sensors.Batch) error { return nil }); err != nil {
		t.Errorf("cancelled stream returned %v", err)
	}
}

func TestOpenOptions(t *testing.T) {
	// Open uses the default roots; only its option decoding is tested here.
	for _, tc := range []struct{ opts, want string }{
		{"{}", "iio: option device: missing"},
		{"{device: x, colour: red}", "colour"},
	} {
		_, err := Open(context.Background(), sensors.Spec{Options: sensortest.Options(tc.opts)}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.opts, err)
		}
	}
}

func TestScanTypes(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		data []byte
		want int64
	}{
		{"le:s13/16>>0", []byte{0xFF, 0x1F}, -1},   // 13-bit −1
		{"le:s12/16>>4", []byte{0xF0, 0x7F}, 2047}, // left-justified 12-bit (ADS1015 style)
		{"be:u10/16>>6", []byte{0xFF, 0xC0}, 1023}, // big-endian, shifted
		{"be:s24/32>>8", []byte{0x80, 0, 0, 0xAB}, -8388608},
		{"le:u8/8>>0", []byte{200}, 200},
		{"le:s64/64>>0", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, -1},
	} {
		st, err := parseScanType(tc.typ)
		if err != nil {
			t.Errorf("%s: %v", tc.typ, err)
			continue
		}
		if st.String() != tc.typ {
			t.Errorf("%s prints as %s", tc.typ, st)
		}
		el := element{typ: st}
		if got := el.decode(tc.data); got != tc.want {
			t.Errorf("%s % x = %d, want %d", tc.typ, tc.data, got, tc.want)
		}
	}
	for _, bad := range []string{"", "le", "xe:s8/8>>0", "le:q8/8>>0", "le:s8/8", "le:s8>>0", "le:s8/12>>0", "le:s0/8>>0", "le:s9/8>>0", "le:s8/16>>9", "le:s16/16X2>>0", "le:s-1/8>>0"} {
		if _, err := parseScanType(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	els := []element{{name: "ts", index: 3, typ: scanType{storage: 64, bits: 64}}, {name: "x", index: 0, typ: scanType{storage: 16, bits: 13}}, {name: "c", index: 1, typ: scanType{storage: 8, bits: 8}}, {name: "y", index: 2, typ: scanType{storage: 32, bits: 24}}}
	if size := layout(els); size != 16 || els[0].at != 0 || els[1].at != 2 || els[2].at != 4 || els[3].at != 8 {
		t.Errorf("layout %d: %+v", size, els)
	}
}

func FuzzScanRecord(f *testing.F) {
	f.Add("le:s13/16>>0", []byte{1, 2})
	f.Add("be:u24/32>>8", []byte{1, 2, 3, 4})
	f.Add("le:s64/64>>0", make([]byte, 8))
	f.Fuzz(func(t *testing.T, typ string, rec []byte) {
		st, err := parseScanType(typ)
		if err != nil {
			return
		}
		el := element{typ: st}
		if len(rec) < int(st.storage/8) {
			return
		}
		v := el.decode(rec)
		if st.bits < 64 {
			lo, hi := int64(0), int64(1)<<st.bits-1
			if st.signed {
				lo, hi = -(int64(1) << (st.bits - 1)), int64(1)<<(st.bits-1)-1
			}
			if v < lo || v > hi {
				t.Fatalf("%s % x decoded to %d outside [%d, %d]", typ, rec, v, lo, hi)
			}
		}
	})
}

func TestDevicesListsTheTree(t *testing.T) {
	sys, _ := tree(t, false)
	devs, err := Devices(sys)
	must(t, err)
	if len(devs) != 2 {
		t.Fatalf("%d devices, want 2: %+v", len(devs), devs)
	}
	a, b := devs[0], devs[1]
	if a.Node != "iio:device0" || a.Name != "adxl345" || !a.Buffered ||
		strings.Join(a.Channels, ",") != "accel_x,accel_y,accel_z,temp,voltage0" {
		t.Errorf("device 0: %+v", a)
	}
	if b.Node != "iio:device1" || b.Name != "bme280" || b.Buffered ||
		strings.Join(b.Channels, ",") != "humidityrelative,pressure" {
		t.Errorf("device 1: %+v", b)
	}
	if devs, err := Devices(filepath.Join(sys, "absent")); err != nil || len(devs) != 0 {
		t.Errorf("missing sysfs tree: %v, %v; want no devices and no error", devs, err)
	}
}
