// Package bmxx80 reads Bosch BME280 (temperature, pressure, humidity) and
// BMP280 (temperature, pressure) sensors over I²C or SPI.
//
// periph.io/x/devices/v3/bmxx80 was considered: in forced mode it polls the
// status register without a bound (a bus stuck at 0xFF spins forever), its
// normal mode requires an IIR filter, and it wraps errors with %v. This
// driver runs the chip in normal mode over periph's i2c.Dev / spi.Conn and
// implements the datasheet's integer compensation itself.
//
// Datasheet facts it relies on (BME280 BST-BME280-DS002, BMP280
// BST-BMP280-DS001):
//
//   - chip_id (0xD0): 0x60 BME280, 0x58 BMP280 (0x55 is the older BMP180).
//   - I²C address 0x76 (SDO low) or 0x77; SPI mode 0 or 3 ≤ 10 MHz, control
//     byte bit 7 = 1 to read (auto-increment), 0 to write.
//   - reset (0xE0) ← 0xB6; status (0xF3) bit 0 im_update is set while the
//     NVM is copied (start-up ≤ 2 ms), bit 3 while measuring.
//   - Trimming: 0x88 … 0xA1 (dig_T1 … dig_P9, dig_H1 at 0xA1), 0xE1 … 0xE7
//     (dig_H2 … dig_H6, H4/H5 packed as 12-bit values sharing 0xE5).
//   - ctrl_hum (0xF2) osrs_h takes effect only after a write to ctrl_meas
//     (0xF4: osrs_t 7:5, osrs_p 4:2, mode 1:0, 11 = normal); config (0xF5:
//     t_sb 7:5, filter 4:2). Oversampling codes 0 skip, 1 … 5 = ×1 … ×16.
//   - Standby t_sb: 0.5, 62.5, 125, 250, 500, 1000 ms, then 10, 20 ms on the
//     BME280 and 2, 4 s on the BMP280.
//   - Maximum measurement time (9.1), in ms: 1.25 + 2.3·osrs_t +
//     (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575).
//   - Data 0xF7 … 0xFE: pressure and temperature 20-bit (msb, lsb,
//     xlsb[7:4]), humidity 16-bit; a skipped or never-run measurement reads
//     0x80000 / 0x8000.
//   - Compensation: the 32-bit integer temperature (0.01 °C, t_fine), 64-bit
//     pressure (Q24.8 Pa) and 32-bit humidity (Q22.10 %RH) formulas,
//     checked in the tests against the BMP280 datasheet's worked example
//     (25.08 °C, 100653.27 Pa) and the double-precision humidity formula.
//
// Normal mode: the chip measures every t_measure + t_sb, with t_sb the
// longest standby that fits the configured period, and Read takes the
// latest result in one burst, so all values come from one conversion. A
// chip found back in sleep mode (0x80000 after a brown-out) is re-armed and
// that sample marked invalid; data registers all 0x00 or 0xFF mean the chip
// is not answering.
package bmxx80
