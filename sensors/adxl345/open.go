package adxl345

import (
	"context"
	"fmt"

	"github.com/axle-edge/axle/sensors"
)

// Options is the "adxl345" driver's options block. Exactly one of spi and
// i2c names the bus:
//
//	driver: adxl345
//	rate: 3200
//	options: {spi: SPI0.0, range: 16, watermark: 16, names: [vib_x, vib_y, vib_z]}
type Options struct {
	SPI       string   `yaml:"spi"`
	SPIHz     int64    `yaml:"spi_hz"` // default 5 MHz, the device's maximum
	I2C       string   `yaml:"i2c"`
	Address   uint16   `yaml:"address"` // 0x53 (default) or 0x1d
	Range     int      `yaml:"range"`   // ±g, default 16
	Watermark int      `yaml:"watermark"`
	Names     []string `yaml:"names"`
}

// Open is the sensors.Opener of the "adxl345" driver.
func Open(_ context.Context, spec sensors.Spec, buses sensors.Buses) (sensors.Sensor, error) {
	var o Options
	if spec.Options != nil {
		if err := spec.Options.Decode(&o); err != nil {
			return nil, fmt.Errorf("adxl345: %w", err)
		}
	}
	cfg := Config{Rate: spec.Rate, Range: o.Range, Watermark: o.Watermark, Names: o.Names, Timeout: spec.Timeout}
	if cfg.Range == 0 {
		cfg.Range = DefaultRange
	}
	if cfg.Watermark == 0 {
		cfg.Watermark = DefaultWatermark
	}
	switch {
	case (o.SPI == "") == (o.I2C == ""):
		return nil, fmt.Errorf("adxl345: options spi and i2c: set exactly one")
	case o.SPI != "":
		if o.Address != 0 {
			return nil, fmt.Errorf("adxl345: option address: only for i2c")
		}
		if cfg.Rate == 0 {
			cfg.Rate = DefaultRate
		}
		if o.SPIHz == 0 {
			o.SPIHz = DefaultSPIHz
		}
		port, err := buses.SPI(o.SPI)
		if err != nil {
			return nil, fmt.Errorf("adxl345: option spi: %w", err)
		}
		return NewSPI(port, o.SPIHz, cfg)
	default:
		if o.SPIHz != 0 {
			return nil, fmt.Errorf("adxl345: option spi_hz: only for spi")
		}
		if cfg.Rate == 0 {
			cfg.Rate = DefaultI2CRate
		}
		if o.Address == 0 {
			o.Address = addrAltLow
		}
		bus, err := buses.I2C(o.I2C)
		if err != nil {
			return nil, fmt.Errorf("adxl345: option i2c: %w", err)
		}
		return NewI2C(bus, o.Address, cfg)
	}
}
