package drivers

import (
	"strings"
	"testing"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
)

// TestValidate checks options for every kind of driver without hardware:
// good options pass, a bad option is named in the error.
func TestValidate(t *testing.T) {
	for _, c := range []struct {
		driver, options string
		rate            float64
		wantErr         string // "" = valid
	}{
		{"sim", "seed: 3", 1000, ""},
		{"sim", "profile: fan", 1000, "option profile"},
		{"replay", "file: /nonexistent/rec.csv", 10, ""},
		{"replay", "speed: 2", 10, "option file: missing"},
		{"iio", "device: adxl345", 100, ""},
		{"iio", "channels: [accel_x]", 100, "option device: missing"},
		{"ads1115", "i2c: '1'", 10, ""},
		{"ads1115", "address: 0x48", 10, "option i2c: missing"},
		{"adxl345", "spi: SPI0.0", 3200, ""},
		{"adxl345", "{spi: SPI0.0, i2c: '1'}", 3200, "set exactly one"},
		{"bme280", "i2c: '1'", 1, ""},
		{"bme280", "{spi: SPI0.0, address: 0x76}", 1, "option address: only for i2c"},
		{"ds18b20", "bus: w1", 1, ""},
		{"ds18b20", "{bus: w1, address: nonsense}", 1, "address"},
		{"gpiocount", "pin: GPIO17", 1, ""},
		{"gpiocount", "{pin: GPIO17, edge: sideways}", 1, "option edge"},
		{"ina219", "i2c: '1'", 1, ""},
		{"ina219", "{i2c: '1', shunts: 2}", 1, "shunts"},
		{"warp-core", "", 1, `driver "warp-core" is not in this binary`},
	} {
		spec := sensors.Spec{Name: "s", Driver: c.driver, Rate: c.rate, Options: sensortest.Options(c.options)}
		err := Validate(spec)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s %q: %v", c.driver, c.options, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s %q: err = %v, want it to mention %q", c.driver, c.options, err, c.wantErr)
		}
	}
}
