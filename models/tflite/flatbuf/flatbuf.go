// Package flatbuf reads FlatBuffers tables from untrusted bytes.
//
// Every access is bounds-checked. Constructing a Table checks that the table
// and its vtable lie inside the buffer, so scalar fields can be read without
// errors afterwards: a scalar whose slot points outside the table's declared
// size reads as its default. Offsets to sub-tables, vectors and strings are
// followed only after checking them, and those accessors return errors.
//
// Layout reminder (little-endian):
//
//	table:  [soffset32 to vtable (table - vtable)] [inline fields...]
//	vtable: [u16 vtable bytes] [u16 table inline bytes] [u16 field offset]...
//	vector: [u32 length] [elements...]   string: vector of bytes + NUL
package flatbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every error this package returns.
var ErrMalformed = errors.New("malformed flatbuffer")

func errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Table is a validated view of one flatbuffer table. The zero Table is an
// absent table: every scalar reads as its default and every reference as
// absent.
type Table struct {
	buf  []byte
	pos  uint32 // start of the table
	vt   uint32 // start of the vtable
	vlen uint16 // vtable size in bytes
	tlen uint16 // table inline size in bytes
}

// Root returns the root table of buf. When ident is not empty, bytes 4..8 of
// buf must equal it (the file identifier, "TFL3" for TFLite).
func Root(buf []byte, ident string) (Table, error) {
	if len(buf) < 8 {
		return Table{}, errf("%d bytes is too short for a flatbuffer", len(buf))
	}
	if len(buf) > math.MaxInt32 {
		return Table{}, errf("%d bytes is larger than a flatbuffer can be", len(buf))
	}
	if ident != "" && string(buf[4:8]) != ident {
		return Table{}, errf("file identifier is %q, want %q", buf[4:8], ident)
	}
	return tableAt(buf, binary.LittleEndian.Uint32(buf), "root")
}

// tableAt validates the table starting at pos.
func tableAt(buf []byte, pos uint32, what string) (Table, error) {
	n := uint64(len(buf))
	if uint64(pos)+4 > n {
		return Table{}, errf("%s table at offset %d is outside the %d-byte buffer", what, pos, n)
	}
	soff := int64(int32(binary.LittleEndian.Uint32(buf[pos:])))
	vt := int64(pos) - soff
	if vt < 0 || uint64(vt)+4 > n {
		return Table{}, errf("%s table at offset %d has its vtable at %d, outside the buffer", what, pos, vt)
	}
	vlen := binary.LittleEndian.Uint16(buf[vt:])
	tlen := binary.LittleEndian.Uint16(buf[vt+2:])
	if vlen < 4 || vlen%2 != 0 || uint64(vt)+uint64(vlen) > n {
		return Table{}, errf("%s table at offset %d has a bad vtable size %d", what, pos, vlen)
	}
	if tlen < 4 || uint64(pos)+uint64(tlen) > n {
		return Table{}, errf("%s table at offset %d has size %d, past the end of the buffer", what, pos, tlen)
	}
	return Table{buf: buf, pos: pos, vt: uint32(vt), vlen: vlen, tlen: tlen}, nil
}

// Present reports whether t is a real table (not the zero Table).
func (t Table) Present() bool { return t.buf != nil }

// Buf is the whole buffer t lives in.
func (t Table) Buf() []byte { return t.buf }

// Offset is the position of t in its buffer (for error messages).
func (t Table) Offset() uint32 { return t.pos }

// field returns the absolute position of a field of size bytes, or ok=false
// when the field is absent or does not fit the table.
func (t Table) field(slot int, size uint16) (uint32, bool) {
	if t.buf == nil || slot < 0 {
		return 0, false
	}
	vo := 4 + 2*slot
	if vo+2 > int(t.vlen) {
		return 0, false
	}
	off := binary.LittleEndian.Uint16(t.buf[t.vt+uint32(vo):])
	if off == 0 || uint32(off)+uint32(size) > uint32(t.tlen) {
		return 0, false
	}
	return t.pos + uint32(off), true
}

// Has reports whether the field in slot is present.
func (t Table) Has(slot int) bool {
	_, ok := t.field(slot, 1)
	return ok
}

func (t Table) Uint8(slot int, def uint8) uint8 {
	if p, ok := t.field(slot, 1); ok {
		return t.buf[p]
	}
	return def
}

func (t Table) Int8(slot int, def int8) int8 { return int8(t.Uint8(slot, uint8(def))) }

func (t Table) Bool(slot int, def bool) bool {
	d := uint8(0)
	if def {
		d = 1
	}
	return t.Uint8(slot, d) != 0
}

func (t Table) Uint16(slot int, def uint16) uint16 {
	if p, ok := t.field(slot, 2); ok {
		return binary.LittleEndian.Uint16(t.buf[p:])
	}
	return def
}

func (t Table) Int16(slot int, def int16) int16 { return int16(t.Uint16(slot, uint16(def))) }

func (t Table) Uint32(slot int, def uint32) uint32 {
	if p, ok := t.field(slot, 4); ok {
		return binary.LittleEndian.Uint32(t.buf[p:])
	}
	return def
}

func (t Table) Int32(slot int, def int32) int32 { return int32(t.Uint32(slot, uint32(def))) }

func (t Table) Uint64(slot int, def uint64) uint64 {
	if p, ok := t.field(slot, 8); ok {
		return binary.LittleEndian.Uint64(t.buf[p:])
	}
	return def
}

func (t Table) Int64(slot int, def int64) int64 { return int64(t.Uint64(slot, uint64(def))) }

func (t Table) Float32(slot int, def float32) float32 {
	if p, ok := t.field(slot, 4); ok {
		return math.Float32frombits(binary.LittleEndian.Uint32(t.buf[p:]))
	}
	return def
}

// ref follows the uoffset stored in slot.
func (t Table) ref(slot int) (uint32, bool, error) {
	p, ok := t.field(slot, 4)
	if !ok {
		return 0, false, nil
	}
	target := uint64(p) + uint64(binary.LittleEndian.Uint32(t.buf[p:]))
	if target >= uint64(len(t.buf)) {
		return 0, false, errf("field %d of table at %d points to %d, outside the buffer", slot, t.pos, target)
	}
	return uint32(target), true, nil
}

// Table returns the sub-table in slot; the zero Table when absent.
func (t Table) Table(slot int) (Table, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return Table{}, err
	}
	return tableAt(t.buf, p, fmt.Sprintf("field %d of table at %d:", slot, t.pos))
}

// Vector returns the vector in slot, whose elements are elem bytes wide
// (4 for tables, strings and 32-bit scalars). An absent vector has length 0.
func (t Table) Vector(slot int, elem int) (Vector, error) {
	p, ok, err := t.ref(slot)
	if !ok || err != nil {
		return Vector{}, err
	}
	return vectorAt(t.buf, p, elem)
}

func vectorAt(buf []byte, p uint32, elem int) (Vector, error) {
	if uint64(p)+4 > uint64(len(buf)) {
		return Vector{}, errf("vector at %d is outside the buffer", p)
	}
	n := binary.LittleEndian.Uint32(buf[p:])
	start := uint64(p) + 4
	if uint64(n)*uint64(elem) > uint64(len(buf))-start {
		return Vector{}, errf("vector at %d has %d elements of %d bytes, past the end of the %d-byte buffer", p, n, elem, len(buf))
	}
	return Vector{buf: buf, start: uint32(start), n: int(n), elem: uint32(elem)}, nil
}

// String returns the string in slot; "" when absent.
func (t Table) String(slot int) (string, error) {
	v, err := t.Vector(slot, 1)
	if err != nil {
		return "", err
	}
	return string(v.Bytes()), nil
}

// Vector is a validated flatbuffer vector.
type Vector struct {
	buf   []byte
	start uint32
	n     int
	elem  uint32
}

// Len is the number of elements.
func (v Vector) Len() int { return v.n }

// Present reports whether the vector exists in the buffer (it may be empty).
func (v Vector) Present() bool { return v.buf != nil }

// Bytes is the raw bytes of the elements (not copied).
func (v Vector) Bytes() []byte {
	if v.buf == nil {
		return nil
	}
	return v.buf[v.start : v.start+uint32(v.n)*v.elem]
}

func (v Vector) at(i int) uint32 { return v.start + uint32(i)*v.elem }

func (v Vector) Uint8(i int) uint8   { return v.buf[v.at(i)] }
func (v Vector) Int32(i int) int32   { return int32(binary.LittleEndian.Uint32(v.buf[v.at(i):])) }
func (v Vector) Uint32(i int) uint32 { return binary.LittleEndian.Uint32(v.buf[v.at(i):]) }
func (v Vector) Int64(i int) int64   { return int64(binary.LittleEndian.Uint64(v.buf[v.at(i):])) }
func (v Vector) Float32(i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(v.buf[v.at(i):]))
}

// Table follows element i of a vector of tables.
func (v Vector) Table(i int) (Table, error) {
	p := v.at(i)
	target := uint64(p) + uint64(binary.LittleEndian.Uint32(v.buf[p:]))
	if target >= uint64(len(v.buf)) {
		return Table{}, errf("element %d of vector at %d points outside the buffer", i, v.start-4)
	}
	return tableAt(v.buf, uint32(target), fmt.Sprintf("element %d of vector at %d:", i, v.start-4))
}

// String follows element i of a vector of strings.
func (v Vector) String(i int) (string, error) {
	p := v.at(i)
	target := uint64(p) + uint64(binary.LittleEndian.Uint32(v.buf[p:]))
	if target >= uint64(len(v.buf)) {
		return "", errf("element %d of vector at %d points outside the buffer", i, v.start-4)
	}
	s, err := vectorAt(v.buf, uint32(target), 1)
	if err != nil {
		return "", err
	}
	return string(s.Bytes()), nil
}
