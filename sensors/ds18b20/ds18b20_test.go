package ds18b20

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewiretest"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
	"github.com/axle-edge/axle/sensors/sensortest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// rom builds a valid ROM code for family and serial.
func rom(family byte, serial uint64) onewire.Address {
	var b [8]byte
	v := uint64(family) | serial<<8
	for i := range 7 {
		b[i] = byte(v >> (8 * i))
	}
	return onewire.Address(v | uint64(onewire.CalcCRC(b[:7]))<<56)
}

var addr = rom(0x28, 0x00000a1b2c3d)

// spad is a scratchpad with raw temperature, TH 75, TL 70 and config.
func spad(raw int16, config byte) []byte {
	b := []byte{byte(raw), byte(uint16(raw) >> 8), 75, 70, config, 0xFF, 0x0C, 0x10, 0}
	b[8] = onewire.CalcCRC(b[:8])
	return b
}

func match(a onewire.Address, cmd ...byte) []byte {
	w := []byte{0x55}
	for i := range 8 {
		w = append(w, byte(uint64(a)>>(8*i)))
	}
	return append(w, cmd...)
}

func readOps(raw int16, config byte) []onewiretest.IO {
	return []onewiretest.IO{
		{W: match(addr, 0x44), Pull: onewire.StrongPullup},
		{W: match(addr, 0xBE), R: spad(raw, config), Pull: onewire.WeakPullup},
	}
}

func TestReadSequence(t *testing.T) {
	ops := []onewiretest.IO{
		{W: match(addr, 0xBE), R: spad(powerOnRaw, 0x7F), Pull: onewire.WeakPullup}, // probe: 12-bit, fresh from power-on
		{W: match(addr, 0x4E, 75, 70, 0x3F), Pull: onewire.WeakPullup},              // set 10 bits, keep TH/TL
	}
	ops = append(ops, readOps(0x0191, 0x3F)...)     // 25.0625 °C, low 2 bits undefined at 10 bits
	ops = append(ops, readOps(-0x00A2, 0x3F)...)    // −10.125 °C
	ops = append(ops, readOps(powerOnRaw, 0x3F)...) // a brown-out: 85 °C out of nowhere
	ops = append(ops, readOps(-0x0370, 0x3F)...)    // −55 °C
	bus := &onewiretest.Playback{Ops: ops, DontPanic: true}
	clk := pace.NewVirtual(t0)
	d, err := New(bus, Config{Address: addr, Resolution: 10, Period: time.Second, Clock: clk, Name: "bearing_temp"})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Channels(); len(c) != 1 || c[0] != (sensors.Channel{Name: "bearing_temp", Unit: "degC", Min: -55, Max: 125}) {
		t.Errorf("channels %+v", c)
	}
	want := []struct {
		v     float64
		valid bool
		at    time.Duration
	}{
		{25.0, true, 187500 * time.Microsecond},
		{-10.25, true, time.Second + 187500*time.Microsecond},
		{85, false, 2*time.Second + 187500*time.Microsecond},
		{-55, true, 3*time.Second + 187500*time.Microsecond},
	}
	var s sensors.Sample
	for i, w := range want {
		if err := d.Read(context.Background(), &s); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if s.Values[0] != w.v || s.Valid != w.valid || !s.Time.Equal(t0.Add(w.at)) {
			t.Errorf("read %d: %v valid=%v %q at %v; want %v valid=%v at %v", i, s.Values, s.Valid, s.Fault, s.Time.Sub(t0), w.v, w.valid, w.at)
		}
	}
	if err := bus.Close(); err != nil {
		t.Error(err)
	}
	d.Close()
	if err := d.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestHot85IsBelieved(t *testing.T) {
	ops := []onewiretest.IO{{W: match(addr, 0xBE), R: spad(0, 0x7F), Pull: onewire.WeakPullup}}
	ops = append(ops, readOps(0x0540, 0x7F)...) // 84 °C
	ops = append(ops, readOps(powerOnRaw, 0x7F)...)
	d, err := New(&onewiretest.Playback{Ops: ops, DontPanic: true}, Config{Address: addr, Resolution: 12, Period: time.Second, Clock: pace.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	d.Read(context.Background(), &s)
	if err := d.Read(context.Background(), &s); err != nil || !s.Valid || s.Values[0] != 85 {
		t.Errorf("85 °C after 84 °C: %+v %v", s, err)
	}
}

func TestSearch(t *testing.T) {
	other := rom(0x10, 0x000000000042) // a DS18S20: different scratchpad, not ours
	bus := &onewiretest.Playback{
		Devices:   []onewire.Address{other, addr},
		DontPanic: true,
		Ops: []onewiretest.IO{
			{W: []byte{0xF0}}, {W: []byte{0xF0}}, // one search pass per device
			{W: match(addr, 0xBE), R: spad(0, 0x7F), Pull: onewire.WeakPullup},
		},
	}
	if _, err := New(bus, Config{Resolution: 12, Period: time.Second, Clock: pace.NewVirtual(t0)}); err != nil {
		t.Fatalf("search for the only DS18B20: %v", err)
	}
	two := &onewiretest.Playback{Devices: []onewire.Address{addr, rom(0x28, 7)}, DontPanic: true,
		Ops: []onewiretest.IO{{W: []byte{0xF0}}, {W: []byte{0xF0}}}}
	_, err := New(two, Config{Resolution: 12, Period: time.Second})
	if err == nil || !strings.Contains(err.Error(), "option address: needed, the bus holds 2 thermometers [28-000000000007 28-00000a1b2c3d]") &&
		!strings.Contains(err.Error(), "[28-00000a1b2c3d 28-000000000007]") {
		t.Errorf("two thermometers: %v", err)
	}
}

func TestFaults(t *testing.T) {
	probe := func(r []byte) []onewiretest.IO {
		return []onewiretest.IO{{W: match(addr, 0xBE), R: r, Pull: onewire.WeakPullup}}
	}
	bad := spad(0x0191, 0x7F)
	bad[0] ^= 1
	for _, tc := range []struct {
		name string
		ops  []onewiretest.IO
		want string
	}{
		{"nobody answers", probe([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "all 0xff: device not responding"},
		{"shorted bus", probe(make([]byte, 9)), "configuration 0x00 is impossible"},
		{"noise", probe(bad), "crc mismatch"},
		{"disconnected", nil, "ds18b20: 28-00000a1b2c3d: read scratchpad: onewiretest: unexpected Tx()"},
	} {
		_, err := New(&onewiretest.Playback{Ops: tc.ops, DontPanic: true}, Config{Address: addr, Resolution: 12, Period: time.Second})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Gone after a good probe: the conversion command fails.
	d, err := New(&onewiretest.Playback{Ops: probe(spad(0, 0x7F)), DontPanic: true}, Config{Address: addr, Resolution: 12, Period: time.Second, Clock: pace.NewVirtual(t0)})
	if err != nil {
		t.Fatal(err)
	}
	var s sensors.Sample
	if err := d.Read(context.Background(), &s); err == nil || !strings.HasPrefix(err.Error(), "ds18b20: 28-00000a1b2c3d: convert: ") {
		t.Errorf("read from a vanished device: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Read(ctx, &s); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

func TestAddresses(t *testing.T) {
	if s := FormatAddress(addr); s != "28-00000a1b2c3d" {
		t.Errorf("FormatAddress = %s", s)
	}
	for _, s := range []string{"28-00000a1b2c3d", fmt.Sprintf("0x%016x", uint64(addr))} {
		if a, err := ParseAddress(s); err != nil || a != addr {
			t.Errorf("ParseAddress(%q) = %x, %v; want %x", s, uint64(a), err, uint64(addr))
		}
	}
	for _, s := range []string{"28-xyz", "2800000a1b2c3d", "0x1", "28-0000000a1b2c3d"} {
		if _, err := ParseAddress(s); err == nil {
			t.Errorf("ParseAddress(%q) accepted", s)
		}
	}
}

func TestOpen(t *testing.T) {
	bus := &onewiretest.Playback{DontPanic: true, Ops: []onewiretest.IO{{W: match(addr, 0xBE), R: spad(0, 0x7F), Pull: onewire.WeakPullup}}}
	buses := &sensortest.Buses{OneWireBuses: map[string]onewire.Bus{"w1": bus}}
	s, err := Open(context.Background(), sensors.Spec{Rate: 0.5, Options: sensortest.Options("{bus: w1, address: 28-00000a1b2c3d}")}, buses)
	if err != nil || s.(*Dev).res != 12 {
		t.Fatalf("Open: %v", err)
	}
	for _, tc := range []struct {
		rate       float64
		opts, want string
	}{
		{0, "{}", "option bus: missing"},
		{0, "{bus: w2}", "option bus: sensortest: onewire \"w2\""},
		{0, "{bus: w1, address: nope}", "option address \"nope\""},
		{0, "{bus: w1, address: 28-00000a1b2c3d, resolution: 13}", "option resolution: 13"},
		{2, "{bus: w1, address: 28-00000a1b2c3d}", "rate: period 500ms is shorter than the 12-bit conversion time 750ms"},
		{-1, "{bus: w1}", "rate: -1"},
		{0, "{bus: w1, address: 10-000000000042}", "family 0x10 is not a DS18B20"},
		{0, "{bus: w1, colour: red}", "colour"},
	} {
		_, err := Open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ds18b20: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
