package bmxx80

import "fmt"

// calibration holds the trimming parameters read from the chip's NVM
// (dig_T1 … dig_H6 in the datasheet).
type calibration struct {
	t1                             uint16
	t2, t3                         int16
	p1                             uint16
	p2, p3, p4, p5, p6, p7, p8, p9 int16
	h1, h3                         uint8
	h2, h4, h5                     int16
	h6                             int8
}

// parseCalibration decodes 0x88 … 0xA1 (26 bytes) and, for the BME280,
// 0xE1 … 0xE7 (7 bytes). The NVM of a working chip never holds dig_T1 or
// dig_P1 = 0 (dig_P1 divides), so those mean a bad read.
func parseCalibration(tp, h []byte) (calibration, error) {
	u16 := func(b []byte, i int) uint16 { return uint16(b[i]) | uint16(b[i+1])<<8 }
	s16 := func(b []byte, i int) int16 { return int16(u16(b, i)) }
	c := calibration{
		t1: u16(tp, 0), t2: s16(tp, 2), t3: s16(tp, 4),
		p1: u16(tp, 6), p2: s16(tp, 8), p3: s16(tp, 10), p4: s16(tp, 12), p5: s16(tp, 14),
		p6: s16(tp, 16), p7: s16(tp, 18), p8: s16(tp, 20), p9: s16(tp, 22),
		h1: tp[25],
	}
	if len(h) == 7 {
		c.h2 = s16(h, 0)
		c.h3 = h[2]
		// dig_H4 is 0xE4[7:0] << 4 | 0xE5[3:0]; dig_H5 is 0xE6 << 4 | 0xE5[7:4]; both signed 12-bit.
		c.h4 = int16(int8(h[3]))<<4 | int16(h[4]&0x0F)
		c.h5 = int16(int8(h[5]))<<4 | int16(h[4]>>4)
		c.h6 = int8(h[6])
	}
	if c.t1 == 0 || c.p1 == 0 || c.t1 == 0xFFFF || c.p1 == 0xFFFF {
		return c, fmt.Errorf("calibration dig_T1=%d dig_P1=%d is not from a working chip", c.t1, c.p1)
	}
	return c, nil
}

// temperature returns 0.01 °C and t_fine (datasheet 4.2.3 / BMP280 3.11.3,
// 32-bit integer version).
func (c *calibration) temperature(adcT int32) (int32, int32) {
	v1 := (((adcT >> 3) - int32(c.t1)<<1) * int32(c.t2)) >> 11
	d := (adcT >> 4) - int32(c.t1)
	v2 := (((d * d) >> 12) * int32(c.t3)) >> 14
	fine := v1 + v2
	return (fine*5 + 128) >> 8, fine
}

// pressure returns Pa in Q24.8 (64-bit integer version); 0 when the
// calibration would divide by zero.
func (c *calibration) pressure(adcP, fine int32) uint32 {
	v1 := int64(fine) - 128000
	v2 := v1 * v1 * int64(c.p6)
	v2 += (v1 * int64(c.p5)) << 17
	v2 += int64(c.p4) << 35
	v1 = ((v1 * v1 * int64(c.p3)) >> 8) + ((v1 * int64(c.p2)) << 12)
	v1 = ((int64(1)<<47 + v1) * int64(c.p1)) >> 33
	if v1 == 0 {
		return 0
	}
	p := int64(1048576 - adcP)
	p = (((p << 31) - v2) * 3125) / v1
	v1 = (int64(c.p9) * (p >> 13) * (p >> 13)) >> 25
	v2 = (int64(c.p8) * p) >> 19
	return uint32(((p + v1 + v2) >> 8) + int64(c.p7)<<4)
}

// humidity returns %RH in Q22.10 (BME280 4.2.3, 32-bit integer version).
func (c *calibration) humidity(adcH, fine int32) uint32 {
	x := fine - 76800
	x = ((((adcH << 14) - (int32(c.h4) << 20) - (int32(c.h5) * x)) + 16384) >> 15) *
		(((((((x*int32(c.h6))>>10)*(((x*int32(c.h3))>>11)+32768))>>10)+2097152)*int32(c.h2) + 8192) >> 14)
	x -= ((((x >> 15) * (x >> 15)) >> 7) * int32(c.h1)) >> 4
	x = max(0, min(x, 419430400))
	return uint32(x >> 12)
}
