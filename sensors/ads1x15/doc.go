// Package ads1x15 reads the TI ADS1115 (16-bit) and ADS1015 (12-bit) I²C
// ADCs, with scaling of voltages and 4–20 mA current loops to engineering
// units.
//
// periph.io/x/devices/v3/ads1x15 sleeps without a context and hides bus
// errors behind its analog.PinADC; this driver uses periph's i2c.Dev and
// waits on a pace.Clock.
//
// Datasheet facts it relies on (ADS111x SBAS444D; ADS1015 SBAS473):
//
//   - I²C address 0x48 … 0x4B by the ADDR pin (GND, VDD, SDA, SCL).
//   - Pointer register selects conversion (0x00) or config (0x01); both are
//     16-bit big-endian.
//   - Config: OS (bit 15; write 1 starts a single conversion, reads 1 when
//     idle), MUX (14:12; 100 … 111 = AIN0 … AIN3 against GND, 000 … 011 the
//     differential pairs), PGA (11:9; ±6.144, 4.096, 2.048, 1.024, 0.512,
//     0.256 V), MODE (8; 1 single-shot, the converter powers down after),
//     DR (7:5), comparator (4:0; COMP_QUE 11 disables it).
//   - ADS1115 DR: 8 … 860 SPS; ADS1015: 128 … 3300 SPS with the 12-bit result
//     left-justified (bits 15:4). Data rates may be 10 % slow, so each wait
//     is 1.1 conversion periods plus 100 µs, and OS is polled at most three
//     times before the conversion is declared stuck.
//   - Result: two's complement, LSB = FSR / 2^(bits−1); the extreme codes
//     mean the input is beyond the range (marked invalid).
//
// 4–20 mA loops are read as the voltage across a shunt: value = min +
// (I − 4 mA) / 16 mA × (max − min). Following NAMUR NE 43, a current under
// 3.6 mA (open loop, dead transmitter) or over 21 mA (short, transmitter
// alarm) marks the sample invalid with the current in the fault text.
package ads1x15
