package adxl345

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// transport reads and writes registers over SPI or I²C without allocating.
type transport interface {
	read(reg byte, buf []byte) error
	write(reg, val byte) error
	String() string
}

type spiTransport struct {
	c    spi.Conn
	w, r [8]byte // address byte + up to 6 data bytes
}

func newSPI(p spi.Port, hz int64) (*spiTransport, error) {
	c, err := p.Connect(physic.Frequency(hz)*physic.Hertz, spi.Mode3, 8)
	if err != nil {
		return nil, fmt.Errorf("connect spi at %d Hz: %w", hz, err)
	}
	return &spiTransport{c: c}, nil
}

func (t *spiTransport) read(reg byte, buf []byte) error {
	n := len(buf) + 1
	t.w[0] = spiRead | reg
	if len(buf) > 1 {
		t.w[0] |= spiMulti
	}
	clear(t.w[1:n])
	if err := t.c.Tx(t.w[:n], t.r[:n]); err != nil {
		return err
	}
	copy(buf, t.r[1:n])
	return nil
}

func (t *spiTransport) write(reg, val byte) error {
	t.w[0], t.w[1] = reg, val
	return t.c.Tx(t.w[:2], nil)
}

func (t *spiTransport) String() string { return "spi" }

type i2cTransport struct {
	d i2c.Dev
	w [2]byte
}

func (t *i2cTransport) read(reg byte, buf []byte) error {
	t.w[0] = reg
	return t.d.Tx(t.w[:1], buf)
}

func (t *i2cTransport) write(reg, val byte) error {
	t.w[0], t.w[1] = reg, val
	return t.d.Tx(t.w[:2], nil)
}

func (t *i2cTransport) String() string { return fmt.Sprintf("i2c 0x%02x", t.d.Addr) }
