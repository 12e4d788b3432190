package bmxx80

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/axle-edge/axle/sensors"
)

// Oversampling is the "oversampling" option.
type Oversampling struct {
	Temperature *int `yaml:"temperature"`
	Pressure    *int `yaml:"pressure"`
	Humidity    *int `yaml:"humidity"`
}

// Options is the "bme280" / "bmp280" drivers' options block; exactly one of
// i2c and spi names the bus:
//
//	driver: bme280
//	rate: 1
//	options: {i2c: "1", address: 0x76, oversampling: {pressure: 4}, filter: 4}
type Options struct {
	I2C          string       `yaml:"i2c"`
	Address      uint16       `yaml:"address"` // 0x76 (default) or 0x77
	SPI          string       `yaml:"spi"`
	SPIHz        int64        `yaml:"spi_hz"` // default 1 MHz
	Oversampling Oversampling `yaml:"oversampling"`
	Filter       int          `yaml:"filter"`
}

// OpenBME280 is the sensors.Opener of the "bme280" driver.
func OpenBME280(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	return open(BME280, spec, buses)
}

// OpenBMP280 is the sensors.Opener of the "bmp280" driver.
func OpenBMP280(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	return open(BMP280, spec, buses)
}

// open reads one sample per second by default, each quantity oversampled
// once, no IIR filter.
func open(chip string, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("bmxx80: %w", err)
		}
	}
	cfg := Config{Chip: chip, OversampleT: 1, OversampleP: 1, Filter: o.Filter, Period: time.Second}
	if chip == BME280 {
		cfg.OversampleH = 1
	}
	if v := o.Oversampling.Temperature; v != nil {
		cfg.OversampleT = *v
	}
	if v := o.Oversampling.Pressure; v != nil {
		cfg.OversampleP = *v
	}
	if v := o.Oversampling.Humidity; v != nil {
		cfg.OversampleH = *v
	}
	if spec.Rate < 0 || math.IsNaN(spec.Rate) || math.IsInf(spec.Rate, 0) {
		return nil, fmt.Errorf("bmxx80: rate: %v must be > 0", spec.Rate)
	}
	if spec.Rate > 0 {
		cfg.Period = time.Duration(float64(time.Second) / spec.Rate)
	}
	switch {
	case (o.I2C == "") == (o.SPI == ""):
		return nil, fmt.Errorf("bmxx80: options i2c and spi: set exactly one")
	case o.SPI != "":
		if o.Address != 0 {
			return nil, fmt.Errorf("bmxx80: option address: only for i2c")
		}
		if o.SPIHz == 0 {
			o.SPIHz = 1_000_000
		}
		port, err := buses.SPI(o.SPI)
		if err != nil {
			return nil, fmt.Errorf("bmxx80: option spi: %w", err)
		}
		return NewSPI(port, o.SPIHz, cfg)
	default:
		if o.SPIHz != 0 {
			return nil, fmt.Errorf("bmxx80: option spi_hz: only for spi")
		}
		if o.Address == 0 {
			o.Address = 0x76
		}
		bus, err := buses.I2C(o.I2C)
		if err != nil {
			return nil, fmt.Errorf("bmxx80: option i2c: %w", err)
		}
		return NewI2C(bus, o.Address, cfg)
	}
}
