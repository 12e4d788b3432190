// Package periphbus gives sensor drivers the gateway's real buses through
// periph.io. It is the only package that calls host.Init, which loads
// periph's host drivers (sysfs, gpioioctl, and on ARM the SoC and board
// drivers) into periph's registries; everything else reaches hardware
// through the sensors.Buses this package returns.
//
//	host.Init ──► i2creg / spireg / onewirereg / gpioreg  (periph's registries)
//	                        │ by name, alias or number
//	Open() ──► *Buses ──────┘  opened once per name, closed by Buses.Close
//	Report() ──► drivers loaded / skipped / failed (with reasons) and buses found
package periphbus

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/onewire/onewirereg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/axle-edge/axle/sensors"
)

// Buses implements sensors.Buses over periph's registries. A bus opened by
// name is opened once and shared by every driver that asks for it; Close
// closes them all. It is safe for concurrent use.
type Buses struct {
	mu      sync.Mutex
	i2c     map[string]i2c.BusCloser
	spi     map[string]spi.PortCloser
	onewire map[string]onewire.BusCloser
	closed  bool
}

// Open initialises periph's host drivers and returns the gateway's buses.
// A host where some drivers fail still opens: Report says which and why.
func Open() (*Buses, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("periphbus: host init: %w", err)
	}
	return &Buses{
		i2c:     map[string]i2c.BusCloser{},
		spi:     map[string]spi.PortCloser{},
		onewire: map[string]onewire.BusCloser{},
	}, nil
}

// ErrClosed is returned by Buses used after Close.
var ErrClosed = errors.New("periphbus: closed")

// I2C opens the named I²C bus ("1", "I2C1", or an alias).
func (b *Buses) I2C(name string) (i2c.Bus, error) {
	return get(b, b.i2c, "i2c", name, refsI2C(), i2creg.Open)
}

// SPI opens the named SPI port ("SPI0.0", "/dev/spidev0.0" or an alias).
func (b *Buses) SPI(name string) (spi.Port, error) {
	return get(b, b.spi, "spi", name, refsSPI(), spireg.Open)
}

// OneWire opens the named 1-Wire bus.
func (b *Buses) OneWire(name string) (onewire.Bus, error) {
	return get(b, b.onewire, "onewire", name, refsOneWire(), onewirereg.Open)
}

// GPIO returns the named pin ("GPIO17", a header position like "P1_11").
func (b *Buses) GPIO(name string) (gpio.PinIO, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("periphbus: gpio %q: %w", name, sensors.ErrNoBus)
	}
	return p, nil
}

// get opens a bus once, whichever of its names, aliases or number asks for
// it. Names not in the registry are ErrNoBus, so that a config typo reads as
// such rather than as periph's open error.
func get[T interface{ Close() error }](b *Buses, open map[string]T, kind, name string, refs []BusInfo, opener func(string) (T, error)) (T, error) {
	var zero T
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return zero, ErrClosed
	}
	canon, ok := lookup(refs, name)
	if !ok {
		return zero, fmt.Errorf("periphbus: %s %q (found: %s): %w", kind, name, names(refs), sensors.ErrNoBus)
	}
	if bus, ok := open[canon]; ok {
		return bus, nil
	}
	bus, err := opener(canon)
	if err != nil {
		return zero, fmt.Errorf("periphbus: open %s %q: %w", kind, name, err)
	}
	open[canon] = bus
	return bus, nil
}

// Close closes every bus opened through b.
func (b *Buses) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var errs []error
	for _, m := range []map[string]interface{ Close() error }{closers(b.i2c), closers(b.spi), closers(b.onewire)} {
		for name, c := range m {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("periphbus: close %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func closers[T interface{ Close() error }](m map[string]T) map[string]interface{ Close() error } {
	out := make(map[string]interface{ Close() error }, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// BusInfo is one bus in a registry.
type BusInfo struct {
	Name    string
	Aliases []string
	Number  int // -1 when the bus has no number
}

// DriverStatus is a periph host driver that did not load, and why.
type DriverStatus struct {
	Name   string
	Reason string
}

// HostReport is what `axle sensors list` shows about the gateway.
type HostReport struct {
	Loaded  []string       // host drivers loaded
	Skipped []DriverStatus // not applicable here (e.g. another SoC)
	Failed  []DriverStatus // applicable but failed (e.g. permissions)
	I2C     []BusInfo
	SPI     []BusInfo
	OneWire []BusInfo
	GPIO    []string // pin names
}

// Report initialises periph's host drivers (if not done yet) and reports
// what loaded and which buses exist. A failure of host.Init itself is
// returned; driver failures are part of the report.
func Report() (HostReport, error) {
	st, err := host.Init()
	if err != nil {
		return HostReport{}, fmt.Errorf("periphbus: host init: %w", err)
	}
	return report(st), nil
}

func report(st *driverreg.State) HostReport {
	var r HostReport
	for _, d := range st.Loaded {
		r.Loaded = append(r.Loaded, d.String())
	}
	for _, f := range st.Skipped {
		r.Skipped = append(r.Skipped, status(f))
	}
	for _, f := range st.Failed {
		r.Failed = append(r.Failed, status(f))
	}
	r.I2C, r.SPI, r.OneWire = refsI2C(), refsSPI(), refsOneWire()
	for _, p := range gpioreg.All() {
		r.GPIO = append(r.GPIO, p.Name())
	}
	return r
}

func status(f driverreg.DriverFailure) DriverStatus {
	s := DriverStatus{Name: f.D.String(), Reason: "no reason given"}
	if f.Err != nil {
		s.Reason = f.Err.Error()
	}
	return s
}

// String renders the report for a terminal.
func (r HostReport) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "host drivers loaded: %s\n", list(r.Loaded))
	for _, s := range r.Failed {
		fmt.Fprintf(&sb, "host driver failed: %s: %s\n", s.Name, s.Reason)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&sb, "host driver skipped: %s: %s\n", s.Name, s.Reason)
	}
	fmt.Fprintf(&sb, "i2c buses: %s\nspi ports: %s\n1-wire buses: %s\ngpio pins: %d\n",
		names(r.I2C), names(r.SPI), names(r.OneWire), len(r.GPIO))
	return sb.String()
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func names(refs []BusInfo) string {
	var out []string
	for _, r := range refs {
		n := r.Name
		if len(r.Aliases) > 0 {
			n += " (" + strings.Join(r.Aliases, ", ") + ")"
		}
		out = append(out, n)
	}
	return list(out)
}

// lookup returns the registered name of the bus called name.
func lookup(refs []BusInfo, name string) (string, bool) {
	for _, r := range refs {
		if r.Name == name || (r.Number >= 0 && strconv.Itoa(r.Number) == name) {
			return r.Name, true
		}
		for _, a := range r.Aliases {
			if a == name {
				return r.Name, true
			}
		}
	}
	return "", false
}

func refsI2C() []BusInfo {
	var out []BusInfo
	for _, r := range i2creg.All() {
		out = append(out, BusInfo{r.Name, r.Aliases, r.Number})
	}
	return sorted(out)
}

func refsSPI() []BusInfo {
	var out []BusInfo
	for _, r := range spireg.All() {
		out = append(out, BusInfo{r.Name, r.Aliases, r.Number})
	}
	return sorted(out)
}

func refsOneWire() []BusInfo {
	var out []BusInfo
	for _, r := range onewirereg.All() {
		out = append(out, BusInfo{r.Name, r.Aliases, r.Number})
	}
	return sorted(out)
}

func sorted(b []BusInfo) []BusInfo {
	sort.Slice(b, func(i, j int) bool { return b[i].Name < b[j].Name })
	return b
}
