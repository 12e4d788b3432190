// Package drivers is the explicit list of sensor drivers built into the
// binary. There is no init-time registration: adding a driver means adding a
// line here, and the agent receives the map from All.
package drivers

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/ads1x15"
	"github.com/axle-edge/axle/sensors/adxl345"
	"github.com/axle-edge/axle/sensors/bmxx80"
	"github.com/axle-edge/axle/sensors/ds18b20"
	"github.com/axle-edge/axle/sensors/gpiocount"
	"github.com/axle-edge/axle/sensors/iio"
	"github.com/axle-edge/axle/sensors/ina219"
	"github.com/axle-edge/axle/sensors/replay"
	"github.com/axle-edge/axle/sensors/sim"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/onewire"
	"periph.io/x/conn/v3/spi"
)

// Bus kinds a driver needs, as shown by `axle sensors list`.
const (
	BusNone    = "none"
	BusI2C     = "i2c"
	BusSPI     = "spi"
	BusOneWire = "onewire"
	BusGPIO    = "gpio"
	BusFile    = "file"
	BusSysfs   = "sysfs"
)

// DriverInfo describes one driver for humans.
type DriverInfo struct {
	Name        string // key in All()
	Description string
	Channels    string // channel names and units, or how they are chosen
	Bus         string // one of the Bus* kinds; "i2c|spi" when either works
}

var table = []struct {
	info  DriverInfo
	open  sensors.Opener
	check sensors.Validator // nil: probe the Opener with buses that refuse (see Validate)
}{
	{DriverInfo{
		Name:        "ads1015",
		Description: "ADS1015 12-bit I2C ADC: voltages or 4-20 mA loops scaled to engineering units",
		Channels:    "one per entry of option inputs (name, unit, scale or loop)",
		Bus:         BusI2C,
	}, ads1x15.OpenADS1015, nil},
	{DriverInfo{
		Name:        "ads1115",
		Description: "ADS1115 16-bit I2C ADC: voltages or 4-20 mA loops scaled to engineering units (NAMUR NE 43 faults)",
		Channels:    "one per entry of option inputs (name, unit, scale or loop)",
		Bus:         BusI2C,
	}, ads1x15.OpenADS1115, nil},
	{DriverInfo{
		Name:        "adxl345",
		Description: "ADXL345 3-axis accelerometer, FIFO streaming up to 3200 Hz (SPI) or 800 Hz (I2C)",
		Channels:    "accel_x accel_y accel_z (m/s^2), renamed by option names",
		Bus:         BusSPI + "|" + BusI2C,
	}, adxl345.Open, nil},
	{DriverInfo{
		Name:        "bme280",
		Description: "BME280 temperature, pressure and humidity, normal mode, datasheet integer compensation",
		Channels:    "temperature (degC), pressure (Pa), humidity (%)",
		Bus:         BusI2C + "|" + BusSPI,
	}, bmxx80.OpenBME280, nil},
	{DriverInfo{
		Name:        "bmp280",
		Description: "BMP280 temperature and pressure, normal mode, datasheet integer compensation",
		Channels:    "temperature (degC), pressure (Pa)",
		Bus:         BusI2C + "|" + BusSPI,
	}, bmxx80.OpenBMP280, nil},
	{DriverInfo{
		Name:        "ds18b20",
		Description: "DS18B20/DS1822 1-Wire thermometer, 9-12 bit, CRC and power-on value checked",
		Channels:    "temperature (degC), renamed by option name",
		Bus:         BusOneWire,
	}, ds18b20.Open, nil},
	{DriverInfo{
		Name:        "gpiocount",
		Description: "shaft speed from edges of a tachometer or proximity switch on a GPIO pin",
		Channels:    "rpm (rpm), renamed by option name",
		Bus:         BusGPIO,
	}, gpiocount.Open, nil},
	{DriverInfo{
		Name:        "ina219",
		Description: "INA219 high-side current/voltage/power monitor, shunt range chosen from max_current",
		Channels:    "voltage (V), current (A), power (W)",
		Bus:         BusI2C,
	}, ina219.Open, nil},
	{DriverInfo{
		Name:        "iio",
		Description: "any Linux Industrial I/O device: sysfs polling (raw × scale + offset) or its buffered character device for high rates",
		Channels:    "the device's in_* channels (or option channels), renamed by option names",
		Bus:         BusSysfs,
	}, iio.Open, iio.Validate},
	{DriverInfo{
		Name:        "sim",
		Description: "simulated pump: shaft harmonics, blade pass, bearing/imbalance/misalignment/looseness faults on a schedule",
		Channels:    "vib_x vib_y vib_z (m/s^2), bearing_temp (degC), pressure (Pa), motor_current (A)",
		Bus:         BusNone,
	}, sim.Open, sim.Validate},
	{DriverInfo{
		Name:        "replay",
		Description: "replays a CSV or raw ASCII recording (e.g. IMS bearing snapshots) at the recorded rate × speed, optionally looping",
		Channels:    "from the columns option: name, unit, scale, offset per file column",
		Bus:         BusFile,
	}, replay.Open, replay.Validate},
}

// All returns a new map of every driver in the binary, by name.
func All() map[string]sensors.Opener {
	m := make(map[string]sensors.Opener, len(table))
	for _, d := range table {
		m[d.info.Name] = d.open
	}
	return m
}

// Describe returns every driver's description, sorted by name.
func Describe() []DriverInfo {
	out := make([]DriverInfo, 0, len(table))
	for _, d := range table {
		out = append(out, d.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Validate checks a sensor's driver and options without touching hardware.
// Drivers that need no buses have their own Validator. A bus driver's
// Opener decodes and checks its options before it asks for a bus, so it is
// run with buses that refuse every request: reaching that request means the
// options are valid (whether the named bus exists is only known on the
// gateway, when the agent opens it).
func Validate(spec sensors.Spec) error {
	for _, d := range table {
		if d.info.Name != spec.Driver {
			continue
		}
		if d.check != nil {
			return d.check(spec)
		}
		s, err := d.open(context.Background(), spec, refuseBuses{})
		if err == nil {
			s.Close()
			return fmt.Errorf("drivers: %s opened without a bus", spec.Driver)
		}
		if errors.Is(err, errProbe) {
			return nil
		}
		return err
	}
	names := make([]string, 0, len(table))
	for _, d := range Describe() {
		names = append(names, d.Name)
	}
	return fmt.Errorf("driver %q is not in this binary (have: %v)", spec.Driver, names)
}

// errProbe is what refuseBuses answers: the options were valid up to here.
var errProbe = errors.New("drivers: options checked; no bus opened")

// refuseBuses gives out no bus, so that an Opener run by Validate stops
// before any hardware.
type refuseBuses struct{}

func (refuseBuses) I2C(string) (i2c.Bus, error)         { return nil, errProbe }
func (refuseBuses) SPI(string) (spi.Port, error)        { return nil, errProbe }
func (refuseBuses) OneWire(string) (onewire.Bus, error) { return nil, errProbe }
func (refuseBuses) GPIO(string) (gpio.PinIO, error)     { return nil, errProbe }
