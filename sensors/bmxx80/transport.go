package bmxx80

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/spi"
)

// transport reads and writes registers without allocating.
type transport interface {
	read(reg byte, buf []byte) error
	write(reg, val byte) error
	String() string
}

// spiTransport: bit 7 of the control byte is 1 to read (auto-increment),
// 0 to write.
type spiTransport struct {
	c    spi.Conn
	w, r [27]byte
}

func (t *spiTransport) read(reg byte, buf []byte) error {
	n := len(buf) + 1
	t.w[0] = reg | 0x80
	clear(t.w[1:n])
	if err := t.c.Tx(t.w[:n], t.r[:n]); err != nil {
		return err
	}
	copy(buf, t.r[1:n])
	return nil
}

func (t *spiTransport) write(reg, val byte) error {
	t.w[0], t.w[1] = reg&0x7F, val
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
