package ops

import (
	"encoding/binary"
	"math/bits"
)

// fingerprint64 is FarmHash's Fingerprint64 (its "na" 64-bit hash, frozen
// forever), which LSH_PROJECTION hashes its keys with as TFLite does.
// Written from FarmHash's published description and checked against
// published outputs (fingerprint_test.go): inputs up to 64 bytes take one
// of three short paths, longer ones a 64-byte block loop over two 128-bit
// states plus a final pass over the last 64 bytes.

const (
	fpK0 uint64 = 0xc3a5c85c97cb3127
	fpK1 uint64 = 0xb492b66fbe98f273
	fpK2 uint64 = 0x9ae16a3b2f90404f
)

func fpLoad64(s []byte, i int) uint64 { return binary.LittleEndian.Uint64(s[i:]) }
func fpLoad32(s []byte, i int) uint64 { return uint64(binary.LittleEndian.Uint32(s[i:])) }

// fpRot rotates right, as FarmHash's Rotate does.
func fpRot(v uint64, n int) uint64 { return bits.RotateLeft64(v, -n) }

func fpShiftMix(v uint64) uint64 { return v ^ (v >> 47) }

func fpHash16(u, v, mul uint64) uint64 {
	a := (u ^ v) * mul
	a ^= a >> 47
	b := (v ^ a) * mul
	b ^= b >> 47
	return b * mul
}

func fpLen0to16(s []byte) uint64 {
	n := uint64(len(s))
	switch {
	case n >= 8:
		mul := fpK2 + n*2
		a := fpLoad64(s, 0) + fpK2
		b := fpLoad64(s, len(s)-8)
		c := fpRot(b, 37)*mul + a
		d := (fpRot(a, 25) + b) * mul
		return fpHash16(c, d, mul)
	case n >= 4:
		mul := fpK2 + n*2
		a := fpLoad32(s, 0)
		return fpHash16(n+(a<<3), fpLoad32(s, len(s)-4), mul)
	case n > 0:
		a, b, c := uint32(s[0]), uint32(s[n>>1]), uint32(s[n-1])
		y := a + b<<8
		z := uint32(n) + c<<2
		return fpShiftMix(uint64(y)*fpK2^uint64(z)*fpK0) * fpK2
	}
	return fpK2
}

func fpLen17to32(s []byte) uint64 {
	n := uint64(len(s))
	mul := fpK2 + n*2
	a := fpLoad64(s, 0) * fpK1
	b := fpLoad64(s, 8)
	c := fpLoad64(s, len(s)-8) * mul
	d := fpLoad64(s, len(s)-16) * fpK2
	return fpHash16(fpRot(a+b, 43)+fpRot(c, 30)+d, a+fpRot(b+fpK2, 18)+c, mul)
}

func fpLen33to64(s []byte) uint64 {
	n := uint64(len(s))
	mul := fpK2 + n*2
	a := fpLoad64(s, 0) * fpK2
	b := fpLoad64(s, 8)
	c := fpLoad64(s, len(s)-8) * mul
	d := fpLoad64(s, len(s)-16) * fpK2
	y := fpRot(a+b, 43) + fpRot(c, 30) + d
	z := fpHash16(y, a+fpRot(b+fpK2, 18)+c, mul)
	e := fpLoad64(s, 16) * mul
	f := fpLoad64(s, 24)
	g := (y + fpLoad64(s, len(s)-32)) * mul
	h := (z + fpLoad64(s, len(s)-24)) * mul
	return fpHash16(fpRot(e+f, 43)+fpRot(g, 30)+h, e+fpRot(f+a, 18)+g, mul)
}

// fpWeak32 mixes the 32 bytes at s[i:] into the seeds a and b.
func fpWeak32(s []byte, i int, a, b uint64) (uint64, uint64) {
	w, x, y, z := fpLoad64(s, i), fpLoad64(s, i+8), fpLoad64(s, i+16), fpLoad64(s, i+24)
	a += w
	b = fpRot(b+a+z, 21)
	c := a
	a += x + y
	b += fpRot(a, 44)
	return a + z, b + c
}

func fingerprint64(s []byte) uint64 {
	switch n := len(s); {
	case n <= 16:
		return fpLen0to16(s)
	case n <= 32:
		return fpLen17to32(s)
	case n <= 64:
		return fpLen33to64(s)
	}
	seed := uint64(81)
	x := seed
	y := seed*fpK1 + 113
	z := fpShiftMix(y*fpK2+113) * fpK2
	var v0, v1, w0, w1 uint64
	x = x*fpK2 + fpLoad64(s, 0)
	end := (len(s) - 1) / 64 * 64
	last := end + (len(s)-1)&63 - 63
	for i := 0; i != end; i += 64 {
		x = fpRot(x+y+v0+fpLoad64(s, i+8), 37) * fpK1
		y = fpRot(y+v1+fpLoad64(s, i+48), 42) * fpK1
		x ^= w1
		y += v0 + fpLoad64(s, i+40)
		z = fpRot(z+w0, 33) * fpK1
		v0, v1 = fpWeak32(s, i, v1*fpK1, x+w0)
		w0, w1 = fpWeak32(s, i+32, z+w1, y+fpLoad64(s, i+16))
		x, z = z, x
	}
	mul := fpK1 + (z&0xff)<<1
	w0 += uint64((len(s) - 1) & 63)
	v0 += w0
	w0 += v0
	x = fpRot(x+y+v0+fpLoad64(s, last+8), 37) * mul
	y = fpRot(y+v1+fpLoad64(s, last+48), 42) * mul
	x ^= w1 * 9
	y += v0*9 + fpLoad64(s, last+40)
	z = fpRot(z+w0, 33) * mul
	v0, v1 = fpWeak32(s, last, v1*mul, x+w0)
	w0, w1 = fpWeak32(s, last+32, z+w1, y+fpLoad64(s, last+16))
	x, z = z, x
	return fpHash16(fpHash16(v0, w0, mul)+fpShiftMix(y)*fpK0+z, fpHash16(v1, w1, mul)+x, mul)
}
