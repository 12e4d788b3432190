package bmxx80

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/pace"
)

// Registers (BME280 datasheet BST-BME280-DS002, section 5.3).
const (
	regCalib0  = 0x88 // 0x88 … 0xA1
	regChipID  = 0xD0
	regReset   = 0xE0
	regCalibH  = 0xE1 // 0xE1 … 0xE7
	regCtrlHum = 0xF2
	regStatus  = 0xF3 // bit 3 measuring, bit 0 im_update
	regCtrl    = 0xF4 // osrs_t 7:5, osrs_p 4:2, mode 1:0
	regConfig  = 0xF5 // t_sb 7:5, filter 4:2
	regData    = 0xF7 // press 20 bit, temp 20 bit, hum 16 bit

	resetWord  = 0xB6
	modeNormal = 0x3
	imUpdate   = 0x01
	skipped20  = 0x80000 // value of a measurement that was skipped or never ran
	skipped16  = 0x8000

	chipBMP280 = 0x58
	chipBME280 = 0x60
	chipBMP180 = 0x55
)

// standby times (t_sb codes 0 … 7) differ between the two chips.
var (
	standbyBME = []time.Duration{500 * time.Microsecond, 62500 * time.Microsecond, 125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 10 * time.Millisecond, 20 * time.Millisecond}
	standbyBMP = []time.Duration{500 * time.Microsecond, 62500 * time.Microsecond, 125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
)

// osCodes map an oversampling factor to its 3-bit code; 0 skips the quantity.
var osCodes = map[int]byte{0: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5}

// filterCodes map the IIR filter coefficient to its code.
var filterCodes = map[int]byte{0: 0, 2: 1, 4: 2, 8: 3, 16: 4}

// ErrClosed is returned by a Dev used after Close.
var ErrClosed = errors.New("bmxx80: closed")

// Chip models.
const (
	BME280 = "bme280" // temperature, pressure, humidity
	BMP280 = "bmp280" // temperature, pressure
)

// Config sets up the sensor.
type Config struct {
	Chip string // BME280 or BMP280: the chip id must match
	// Oversampling of temperature, pressure, humidity: 1, 2, 4, 8, 16;
	// 0 skips pressure or humidity (temperature is always measured, the
	// others are compensated with it). A BMP280 takes no humidity.
	OversampleT, OversampleP, OversampleH int
	Filter                                int           // IIR coefficient 0 (off), 2, 4, 8, 16
	Period                                time.Duration // between readings
	Clock                                 pace.Clock
}

// Dev is a BME280 or BMP280 in normal mode: the chip measures on its own
// every t_measure + t_standby ≤ Period and Read takes the latest result.
// It implements sensors.Sensor and is used by one goroutine.
type Dev struct {
	t      transport
	bme    bool
	cal    calibration
	ctrl   [3]byte // ctrl_hum, config, ctrl_meas, for re-arming
	clock  pace.Clock
	tick   *pace.Ticker
	meas   time.Duration
	chans  []sensors.Channel
	buf    [8]byte
	closed bool
}

// NewI2C opens a BME280/BMP280 at addr 0x76 or 0x77.
func NewI2C(b i2c.Bus, addr uint16, cfg Config) (*Dev, error) {
	if addr != 0x76 && addr != 0x77 {
		return nil, fmt.Errorf("bmxx80: option address: 0x%02x is not 0x76 or 0x77", addr)
	}
	return newDev(context.Background(), &i2cTransport{d: i2c.Dev{Bus: b, Addr: addr}}, cfg)
}

// NewSPI opens a BME280/BMP280 on an SPI port (mode 3, up to 10 MHz).
func NewSPI(p spi.Port, hz int64, cfg Config) (*Dev, error) {
	if hz <= 0 || hz > 10_000_000 {
		return nil, fmt.Errorf("bmxx80: option spi_hz: %d is outside (0, 10 MHz]", hz)
	}
	c, err := p.Connect(physic.Frequency(hz)*physic.Hertz, spi.Mode3, 8)
	if err != nil {
		return nil, fmt.Errorf("bmxx80: connect spi: %w", err)
	}
	return newDev(context.Background(), &spiTransport{c: c}, cfg)
}

func newDev(ctx context.Context, t transport, cfg Config) (*Dev, error) {
	osT, okT := osCodes[cfg.OversampleT]
	osP, okP := osCodes[cfg.OversampleP]
	osH, okH := osCodes[cfg.OversampleH]
	filter, okF := filterCodes[cfg.Filter]
	switch {
	case !okT || osT == 0:
		return nil, fmt.Errorf("bmxx80: option oversampling.temperature: %d is not 1, 2, 4, 8 or 16", cfg.OversampleT)
	case !okP:
		return nil, fmt.Errorf("bmxx80: option oversampling.pressure: %d is not 0, 1, 2, 4, 8 or 16", cfg.OversampleP)
	case !okH:
		return nil, fmt.Errorf("bmxx80: option oversampling.humidity: %d is not 0, 1, 2, 4, 8 or 16", cfg.OversampleH)
	case !okF:
		return nil, fmt.Errorf("bmxx80: option filter: %d is not 0, 2, 4, 8 or 16", cfg.Filter)
	case cfg.Chip != BME280 && cfg.Chip != BMP280:
		return nil, fmt.Errorf("bmxx80: chip %q is not %s or %s", cfg.Chip, BME280, BMP280)
	case cfg.Chip == BMP280 && osH != 0:
		return nil, fmt.Errorf("bmxx80: option oversampling.humidity: a BMP280 has no humidity sensor")
	}
	if cfg.Clock == nil {
		cfg.Clock = pace.Wall{}
	}
	d := &Dev{t: t, clock: cfg.Clock}
	if err := t.read(regChipID, d.buf[:1]); err != nil {
		return nil, fmt.Errorf("bmxx80: probe over %s: %w", t, err)
	}
	switch id := d.buf[0]; id {
	case chipBME280, chipBMP280:
		d.bme = id == chipBME280
		if d.bme != (cfg.Chip == BME280) {
			found := map[bool]string{true: BME280, false: BMP280}[d.bme]
			return nil, fmt.Errorf("bmxx80: probe over %s: found a %s, configured as %s", t, found, cfg.Chip)
		}
	case chipBMP180:
		return nil, fmt.Errorf("bmxx80: chip id 0x55 is a BMP180, a different chip this driver does not read")
	default:
		return nil, fmt.Errorf("bmxx80: probe over %s: chip id 0x%02x is not a BME280 (0x60) or BMP280 (0x58)", t, id)
	}
	// Datasheet 9.1: maximum measurement time in µs.
	us := 1250 + 2300*float64(cfg.OversampleT)
	if osP != 0 {
		us += 2300*float64(cfg.OversampleP) + 575
	}
	if d.bme && osH != 0 {
		us += 2300*float64(cfg.OversampleH) + 575
	}
	d.meas = time.Duration(us) * time.Microsecond
	if cfg.Period < d.meas {
		return nil, fmt.Errorf("bmxx80: rate: period %v is shorter than one measurement (%v)", cfg.Period, d.meas)
	}
	standby := standbyBMP
	if d.bme {
		standby = standbyBME
	}
	sb := 0 // the longest standby that still gives a fresh result every period
	for i, s := range standby {
		if d.meas+s <= cfg.Period && s > standby[sb] {
			sb = i
		}
	}
	if err := d.reset(ctx); err != nil {
		return nil, err
	}
	var tp [26]byte
	var h [7]byte
	if err := t.read(regCalib0, tp[:]); err != nil {
		return nil, fmt.Errorf("bmxx80: read calibration: %w", err)
	}
	hb := h[:0]
	if d.bme {
		if err := t.read(regCalibH, h[:]); err != nil {
			return nil, fmt.Errorf("bmxx80: read humidity calibration: %w", err)
		}
		hb = h[:]
	}
	cal, err := parseCalibration(tp[:], hb)
	if err != nil {
		return nil, fmt.Errorf("bmxx80: %w", err)
	}
	d.cal = cal
	d.ctrl = [3]byte{osH, byte(sb)<<5 | filter<<2, osT<<5 | osP<<2 | modeNormal}
	if err := d.arm(); err != nil {
		return nil, err
	}
	d.chans = []sensors.Channel{{Name: "temperature", Unit: "degC", Min: -40, Max: 85}}
	if osP != 0 {
		d.chans = append(d.chans, sensors.Channel{Name: "pressure", Unit: "Pa", Min: 30000, Max: 110000})
	}
	if d.bme && osH != 0 {
		d.chans = append(d.chans, sensors.Channel{Name: "humidity", Unit: "%", Min: 0, Max: 100})
	}
	d.tick = pace.NewTicker(cfg.Clock, cfg.Period)
	// The first result is ready one measurement after entering normal mode.
	if err := d.clock.SleepUntil(ctx, d.clock.Now().Add(d.meas)); err != nil {
		return nil, err
	}
	return d, nil
}

// reset soft-resets the chip and waits (up to 10 ms) for it to copy its NVM.
func (d *Dev) reset(ctx context.Context) error {
	if err := d.t.write(regReset, resetWord); err != nil {
		return fmt.Errorf("bmxx80: reset: %w", err)
	}
	for try := range 5 {
		if err := d.clock.SleepUntil(ctx, d.clock.Now().Add(2*time.Millisecond)); err != nil {
			return err
		}
		if err := d.t.read(regStatus, d.buf[:1]); err != nil {
			return fmt.Errorf("bmxx80: read status: %w", err)
		}
		if d.buf[0]&imUpdate == 0 {
			return nil
		}
		if try == 4 {
			return fmt.Errorf("bmxx80: still copying NVM 10 ms after reset (status 0x%02x)", d.buf[0])
		}
	}
	return nil
}

// arm writes the measurement settings; ctrl_hum takes effect only after a
// write to ctrl_meas, so it goes first.
func (d *Dev) arm() error {
	if d.bme {
		if err := d.t.write(regCtrlHum, d.ctrl[0]); err != nil {
			return fmt.Errorf("bmxx80: write ctrl_hum: %w", err)
		}
	}
	if err := d.t.write(regConfig, d.ctrl[1]); err != nil {
		return fmt.Errorf("bmxx80: write config: %w", err)
	}
	if err := d.t.write(regCtrl, d.ctrl[2]); err != nil {
		return fmt.Errorf("bmxx80: write ctrl_meas: %w", err)
	}
	return nil
}

// Channels returns temperature (degC), pressure (Pa) and, on a BME280,
// humidity (%RH), leaving out skipped quantities.
func (d *Dev) Channels() []sensors.Channel { return d.chans }

// Read takes the latest measurement in one burst read, so that all values
// come from the same conversion.
func (d *Dev) Read(ctx context.Context, s *sensors.Sample) error {
	if d.closed {
		return ErrClosed
	}
	if _, err := d.tick.Wait(ctx); err != nil {
		return err
	}
	n := 6
	if d.bme {
		n = 8
	}
	b := d.buf[:n]
	if err := d.t.read(regData, b); err != nil {
		return fmt.Errorf("bmxx80: read data: %w", err)
	}
	same := true
	for _, x := range b[1:] {
		same = same && x == b[0]
	}
	if same && (b[0] == 0xFF || b[0] == 0x00) {
		return fmt.Errorf("bmxx80: data registers all 0x%02x: device not responding", b[0])
	}
	adcP := int32(b[0])<<12 | int32(b[1])<<4 | int32(b[2])>>4
	adcT := int32(b[3])<<12 | int32(b[4])<<4 | int32(b[5])>>4
	if cap(s.Values) < len(d.chans) {
		s.Values = make([]float64, len(d.chans))
	}
	s.Values = s.Values[:len(d.chans)]
	s.Time, s.Valid, s.Fault = d.clock.Now(), true, ""
	if adcT == skipped20 {
		// The chip is back in sleep mode (a brown-out resets it): re-arm
		// and report this sample invalid.
		for i := range s.Values {
			s.Values[i] = math.NaN()
		}
		s.Valid, s.Fault = false, "no measurement: chip was reset, re-armed"
		if err := d.arm(); err != nil {
			return err
		}
		return nil
	}
	t, fine := d.cal.temperature(adcT)
	s.Values[0] = float64(t) / 100
	c := 1
	if d.ctrl[2]>>2&7 != 0 {
		s.Values[c] = float64(d.cal.pressure(adcP, fine)) / 256
		c++
	}
	if d.bme && d.ctrl[0] != 0 {
		adcH := int32(b[6])<<8 | int32(b[7])
		s.Values[c] = float64(d.cal.humidity(adcH, fine)) / 1024
		if adcH == skipped16 {
			s.Valid, s.Fault = false, "humidity not measured"
		}
	}
	return nil
}

// Close puts the chip in sleep mode.
func (d *Dev) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.t.write(regCtrl, d.ctrl[2]&^3); err != nil {
		return fmt.Errorf("bmxx80: sleep: %w", err)
	}
	return nil
}
