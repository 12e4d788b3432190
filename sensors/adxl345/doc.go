// Package adxl345 streams the Analog Devices ADXL345 tri-axial
// accelerometer from its 32-sample FIFO over SPI or I²C, at up to 3200 Hz.
//
// periph.io/x/devices/v3/adxl345 reads single samples and drops bus errors,
// so this driver talks to the registers itself over periph's spi.Conn and
// i2c.Dev.
//
// Datasheet facts it relies on (ADXL345 Rev. G):
//
//   - DEVID (0x00) reads 0xE5; anything else is the wrong chip or no chip.
//   - SPI: mode 3, ≤ 5 MHz; address byte bit 7 = read, bit 6 = multi-byte.
//     I²C: address 0x53 (ALT ADDRESS low) or 0x1D (high), register auto-increment.
//   - BW_RATE (0x2C) codes 0x06 … 0x0F are 6.25 … 3200 Hz. The datasheet
//     recommends SPI ≥ 2 MHz for 1600/3200 Hz and 400 kHz I²C for ≤ 800 Hz,
//     hence the defaults: 3200 Hz on SPI, 800 Hz on I²C.
//   - DATA_FORMAT (0x31) FULL_RES (bit 3) keeps 256 LSB/g (3.9 mg/LSB) in
//     every range; the output is 10 bits at ±2 g up to 13 bits at ±16 g, so
//     the extreme codes mean the axis clipped (marked invalid).
//   - DATAX0 … DATAZ1 (0x32 … 0x37): little-endian two's complement x, y, z.
//     Reading all six bytes in one transaction pops one FIFO entry.
//   - FIFO_CTL (0x38): mode in bits 7:6 (00 bypass clears the FIFO, 10 stream
//     keeps the newest 32), watermark in bits 4:0.
//   - FIFO_STATUS (0x39): entries in bits 5:0 (at most 33 counting the
//     output registers), bit 6 reads 0; 0xFF therefore means a floating bus.
//   - INT_SOURCE (0x30) bit 0 OVERRUN: the FIFO filled and data were lost.
//   - POWER_CTL (0x2D) bit 3 Measure; 0 is standby, set while configuring
//     and on Close.
//
// Streaming: Stream polls FIFO_STATUS every watermark/rate (5 ms at 3200 Hz
// with the default watermark 16, half the 10 ms the FIFO takes to fill),
// reads the entries and hands them over as one batch. An overrun ends the
// stream with ErrOverrun rather than hide a gap; a FIFO that stays empty
// past the timeout ends it with an error wrapping context.DeadlineExceeded.
// Sample times come from the host clock and the measured device rate (see
// stamper), since the FIFO has no time stamps.
package adxl345
