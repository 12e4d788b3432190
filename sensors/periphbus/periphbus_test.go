package periphbus

import (
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/driver"
	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewirereg"
	"periph.io/x/conn/v3/onewire/onewiretest"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/axle-edge/axle/sensors"
)

// closeCount is an i2ctest playback that counts Close calls.
type closeCount struct {
	i2ctest.Playback
	closes int
}

func (c *closeCount) Close() error { c.closes++; return nil }

// TestRegistries registers playback buses in periph's own registries, the
// way a host driver registers real ones, and opens them through Buses.
func TestRegistries(t *testing.T) {
	b, err := Open()
	if err != nil {
		t.Fatalf("Open on this host: %v", err)
	}
	i2cBus := &closeCount{}
	opens := 0
	must(t, i2creg.Register("AXLETEST-I2C", []string{"axle-i2c"}, 97, func() (i2c.BusCloser, error) { opens++; return i2cBus, nil }))
	t.Cleanup(func() { i2creg.Unregister("AXLETEST-I2C") })
	must(t, spireg.Register("AXLETEST-SPI", nil, -1, func() (spi.PortCloser, error) { return &spitest.Playback{}, nil }))
	t.Cleanup(func() { spireg.Unregister("AXLETEST-SPI") })
	must(t, onewirereg.Register("AXLETEST-1W", nil, -1, func() (onewire.BusCloser, error) { return &onewiretest.Playback{}, nil }))
	t.Cleanup(func() { onewirereg.Unregister("AXLETEST-1W") })
	must(t, gpioreg.Register(&gpiotest.Pin{N: "AXLETEST-GPIO", Num: -1}))
	t.Cleanup(func() { gpioreg.Unregister("AXLETEST-GPIO") })

	for _, name := range []string{"AXLETEST-I2C", "axle-i2c", "97"} {
		bus, err := b.I2C(name)
		if err != nil || bus != i2c.Bus(i2cBus) {
			t.Errorf("I2C(%q) = %v, %v", name, bus, err)
		}
	}
	if opens != 1 {
		t.Errorf("opened %d times for three names of one bus", opens)
	}
	if _, err := b.SPI("AXLETEST-SPI"); err != nil {
		t.Error(err)
	}
	if _, err := b.OneWire("AXLETEST-1W"); err != nil {
		t.Error(err)
	}
	if p, err := b.GPIO("AXLETEST-GPIO"); err != nil || p.Name() != "AXLETEST-GPIO" {
		t.Errorf("GPIO: %v %v", p, err)
	}
	for _, tc := range []struct {
		call func() error
		want string
	}{
		{func() error { _, err := b.I2C("I2C9"); return err }, `periphbus: i2c "I2C9" (found: `},
		{func() error { _, err := b.SPI("SPI7.7"); return err }, `periphbus: spi "SPI7.7"`},
		{func() error { _, err := b.OneWire("w1"); return err }, `periphbus: onewire "w1"`},
		{func() error { _, err := b.GPIO("GPIO999"); return err }, `periphbus: gpio "GPIO999"`},
	} {
		if err := tc.call(); !errors.Is(err, sensors.ErrNoBus) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("missing bus: %v, want %q wrapping ErrNoBus", err, tc.want)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if i2cBus.closes != 1 {
		t.Errorf("Close closed the I2C bus %d times, want once", i2cBus.closes)
	}
	if _, err := b.I2C("AXLETEST-I2C"); !errors.Is(err, ErrClosed) {
		t.Errorf("I2C after Close: %v", err)
	}
}

func TestReport(t *testing.T) {
	must(t, i2creg.Register("AXLETEST-R", []string{"r-alias"}, -1, func() (i2c.BusCloser, error) { return &closeCount{}, nil }))
	t.Cleanup(func() { i2creg.Unregister("AXLETEST-R") })
	r, err := Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Loaded)+len(r.Skipped)+len(r.Failed) == 0 {
		t.Error("no host drivers at all: host.Init registered nothing")
	}
	found := false
	for _, b := range r.I2C {
		found = found || (b.Name == "AXLETEST-R" && b.Aliases[0] == "r-alias")
	}
	if !found || !strings.Contains(r.String(), "AXLETEST-R (r-alias)") {
		t.Errorf("report misses the registered bus:\n%s", r)
	}
	t.Logf("this host:\n%s", r)
}

type fakeDriver string

func (d fakeDriver) String() string          { return string(d) }
func (d fakeDriver) Prerequisites() []string { return nil }
func (d fakeDriver) After() []string         { return nil }
func (d fakeDriver) Init() (bool, error)     { return true, nil }

func TestReportReasons(t *testing.T) {
	r := report(&driverreg.State{
		Loaded:  []driver.Impl{fakeDriver("sysfs-gpio")},
		Skipped: []driverreg.DriverFailure{{D: fakeDriver("bcm283x-gpio"), Err: errors.New("bcm283x CPU not detected")}},
		Failed:  []driverreg.DriverFailure{{D: fakeDriver("sysfs-i2c"), Err: errors.New("permission denied")}, {D: fakeDriver("x")}},
	})
	s := r.String()
	for _, want := range []string{"loaded: sysfs-gpio", "skipped: bcm283x-gpio: bcm283x CPU not detected", "failed: sysfs-i2c: permission denied", "failed: x: no reason given"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
