package adxl345

// Registers and bits from the ADXL345 datasheet (Rev. G, Table 19 and the
// register definitions that follow it).
const (
	regDevID      = 0x00 // reads 0xE5
	regBWRate     = 0x2C // bit 4 LOW_POWER, bits 3:0 rate code
	regPowerCtl   = 0x2D // bit 3 Measure
	regIntEnable  = 0x2E
	regIntSource  = 0x30 // bit 0 Overrun
	regDataFormat = 0x31 // bit 6 SPI 3-wire, bit 3 FULL_RES, bits 1:0 range
	regDataX0     = 0x32 // DATAX0..DATAZ1: x, y, z as little-endian int16
	regFIFOCtl    = 0x38 // bits 7:6 mode, bits 4:0 samples (watermark)
	regFIFOStatus = 0x39 // bit 7 FIFO_TRIG, bit 6 reserved (0), bits 5:0 entries

	devID = 0xE5

	powerMeasure = 0x08
	fullRes      = 0x08
	fifoBypass   = 0x00
	fifoStream   = 0x80
	intOverrun   = 0x01

	// The FIFO holds 32 samples; with the output registers up to 33 can be
	// read. A larger count means the bus returned garbage (floating MISO
	// reads 0xFF).
	fifoDepth   = 32
	maxEntries  = 33
	fifoEntries = 0x3F

	// SPI: bit 7 of the address byte is read, bit 6 multi-byte. The device
	// needs SPI mode 3 (CPOL = CPHA = 1) and at most 5 MHz.
	spiRead  = 0x80
	spiMulti = 0x40
	maxSPIHz = 5_000_000

	// Full resolution keeps 3.9 mg/LSB (256 LSB/g) in every range.
	lsbPerG = 256

	// I²C addresses: ALT ADDRESS pin high 0x1D, low 0x53.
	addrAltHigh = 0x1D
	addrAltLow  = 0x53
)

// rateCodes maps output data rates (Hz) to BW_RATE codes (Table 7).
var rateCodes = []struct {
	hz   float64
	code byte
}{
	{3200, 0x0F}, {1600, 0x0E}, {800, 0x0D}, {400, 0x0C}, {200, 0x0B},
	{100, 0x0A}, {50, 0x09}, {25, 0x08}, {12.5, 0x07}, {6.25, 0x06},
}

// rangeBits maps the ±g range to DATA_FORMAT bits 1:0.
var rangeBits = map[int]byte{2: 0, 4: 1, 8: 2, 16: 3}
