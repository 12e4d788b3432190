package gpiocount

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
)

func newPin() *gpiotest.Pin {
	return &gpiotest.Pin{N: "GPIO17", Num: 17, EdgesChan: make(chan gpio.Level, 64)}
}

func TestBurstOfEdges(t *testing.T) {
	pin := newPin()
	c, err := New(pin, Config{Edge: gpio.RisingEdge, Pull: gpio.PullUp, PulsesPerRev: 2, Window: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if pin.P != gpio.PullUp {
		t.Errorf("pull %v", pin.P)
	}
	for range 10 {
		pin.EdgesChan <- gpio.High
	}
	var s sensors.Sample
	start := time.Now()
	if err := c.Read(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	// Ten edges bunched at the start of the window: counted over the window.
	want := 10 / elapsed.Seconds() / 2 * 60
	if elapsed < 40*time.Millisecond || s.Values[0] < want || s.Values[0] > 10/0.04/2*60 || !s.Valid {
		t.Errorf("%v rpm after %v, want between %.0f and 7500", s.Values[0], elapsed, want)
	}
	// Nothing in the next window: the shaft stopped.
	if err := c.Read(context.Background(), &s); err != nil || s.Values[0] != 0 || !s.Valid {
		t.Errorf("no edges: %v %v", s, err)
	}
}

// TestSteadySignal feeds a 500 Hz tachometer signal: a goroutine standing
// in for the rotating shaft sends edges as fast as the counter takes them,
// and the counter's clock advances 2 ms per reading, so every edge is 2 ms
// after the previous one whatever the machine's load.
func TestSteadySignal(t *testing.T) {
	pin := newPin()
	var ticks atomic.Int64
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return t0.Add(time.Duration(ticks.Add(1)) * 2 * time.Millisecond) }
	c, err := New(pin, Config{Edge: gpio.BothEdges, PulsesPerRev: 4, Window: 200 * time.Millisecond, Name: "shaft", MaxRPM: 12000, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if ch := c.Channels(); len(ch) != 1 || ch[0].Name != "shaft" || ch[0].Unit != "rpm" || ch[0].Max != 12000 {
		t.Errorf("channels %+v", ch)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		level := gpio.Low
		for {
			level = !level
			select {
			case <-ctx.Done():
				return
			case pin.EdgesChan <- level:
			}
		}
	}()
	var s sensors.Sample
	err = c.Read(context.Background(), &s)
	cancel()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	// 500 edges/s over 4 edges per revolution = 7500 rpm; a WaitForEdge
	// slice that timed out on a loaded machine costs one 2 ms step.
	if math.Abs(s.Values[0]-7500) > 0.05*7500 {
		t.Errorf("%.0f rpm, want about 7500", s.Values[0])
	}
}

func TestCancelAndClose(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO17", EdgesChan: make(chan gpio.Level)} // unbuffered: a send waits for WaitForEdge
	c, err := New(pin, Config{Edge: gpio.FallingEdge, PulsesPerRev: 1, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		pin.EdgesChan <- gpio.Low // the read is under way once this is taken
		cancel()
	}()
	var s sensors.Sample
	start := time.Now()
	if err := c.Read(ctx, &s); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("an hour-long window took %v to notice the cancel", d)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Read(context.Background(), &s); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

func TestOpen(t *testing.T) {
	buses := &sensortest.Buses{Pins: map[string]gpio.PinIO{"GPIO17": newPin(), "GPIO4": &gpiotest.Pin{N: "GPIO4"}}}
	s, err := Open(context.Background(), sensors.Spec{Rate: 2, Options: sensortest.Options("{pin: GPIO17, edge: both, pull: down, pulses_per_rev: 2}")}, buses)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.(*Counter); c.cfg.Window != 500*time.Millisecond || c.cfg.Edge != gpio.BothEdges || c.cfg.Pull != gpio.PullDown {
		t.Errorf("config %+v", c.cfg)
	}
	for _, tc := range []struct {
		rate       float64
		opts, want string
	}{
		{0, "{}", "option pin: missing"},
		{0, "{pin: GPIO99}", `option pin: sensortest: gpio "GPIO99"`},
		{0, "{pin: GPIO4}", "GPIO4(0): edge detection: gpiotest: please set p.EdgesChan first"},
		{0, "{pin: GPIO17, edge: sideways}", "option edge: \"sideways\""},
		{0, "{pin: GPIO17, pull: left}", "option pull: \"left\""},
		{0, "{pin: GPIO17, pulses_per_rev: -1}", "option pulses_per_rev: -1"},
		{0, "{pin: GPIO17, max_rpm: -1}", "option max_rpm: -1"},
		{1000, "{pin: GPIO17}", "rate: window 1ms"},
		{-1, "{pin: GPIO17}", "rate: -1"},
		{0, "{pin: GPIO17, debounce: 1}", "debounce"},
	} {
		_, err := Open(context.Background(), sensors.Spec{Rate: tc.rate, Options: sensortest.Options(tc.opts)}, buses)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "gpiocount: ") {
			t.Errorf("%s: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
