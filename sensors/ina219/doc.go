// Package ina219 reads the TI INA219 high-side current, bus voltage and
// power monitor over I²C.
//
// periph.io/x/devices/v3/ina219 replaces bus errors with its own messages
// (errors.Is on the cause is lost) and does not check the overflow flag;
// this driver uses periph's i2c.Dev directly.
//
// Datasheet facts it relies on (INA219 SBOS448G):
//
//   - I²C address 0x40 … 0x4F (A0, A1 pins).
//   - Registers are 16-bit big-endian: 0x00 configuration (power-on 0x399F,
//     bit 15 resets), 0x01 shunt voltage (signed, 10 µV/LSB), 0x02 bus
//     voltage (bits 15:3 at 4 mV/LSB, bit 1 CNVR, bit 0 OVF = math overflow).
//   - Configuration: BRNG (bit 13: 16 or 32 V), PG (12:11: ±40, 80, 160,
//     320 mV shunt range), BADC (10:7) and SADC (6:3) — 0011 one 12-bit
//     sample (532 µs), 1nnn 2^nnn samples averaged (up to 68.1 ms) — MODE
//     (2:0; 111 shunt and bus continuous).
//
// The driver picks the smallest shunt range that holds max_current across
// the shunt, reads the configuration back to confirm the chip, and derives
// current from the shunt voltage (I = Vshunt / R) rather than from the
// calibration register, which a brown-out resets to zero. OVF or a shunt
// voltage at full scale marks a sample invalid.
package ina219
