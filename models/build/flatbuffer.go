package build

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// A tiny FlatBuffers writer. The model is first assembled as a tree of
// objects (tables, vectors, strings), then written front to back: a parent
// is written before its children, so every uoffset points forward as the
// format requires, and each vtable is written just before its table (the
// signed vtable offset may point either way). Writing the same tree always
// produces the same bytes.

type fbObj interface{}

// fbTable is a table under construction: fields by schema slot.
type fbTable struct{ fields []fbField }

type fbField struct {
	slot int
	size int    // inline size in bytes: 1, 2, 4 or 8 (4 for references)
	bits uint64 // scalar value, little-endian bits
	ref  fbObj  // referenced object for offset fields
	late *int   // when set, receives the absolute position of the inline scalar
}

// fbVector is a vector of scalars stored as raw little-endian bytes.
type fbVector struct {
	data  []byte
	elem  int // element size, for the length field
	align int // alignment of the first element
}

// fbRefs is a vector of tables or strings.
type fbRefs []fbObj

type fbString string

func (t *fbTable) scalar(slot, size int, bits uint64) *fbTable {
	t.fields = append(t.fields, fbField{slot: slot, size: size, bits: bits})
	return t
}

func (t *fbTable) u8(slot int, v uint8) *fbTable   { return t.scalar(slot, 1, uint64(v)) }
func (t *fbTable) i32(slot int, v int32) *fbTable  { return t.scalar(slot, 4, uint64(uint32(v))) }
func (t *fbTable) u32(slot int, v uint32) *fbTable { return t.scalar(slot, 4, uint64(v)) }
func (t *fbTable) ref(slot int, o fbObj) *fbTable {
	t.fields = append(t.fields, fbField{slot: slot, size: 4, ref: o})
	return t
}
func (t *fbTable) str(slot int, s string) *fbTable { return t.ref(slot, fbString(s)) }
func (t *fbTable) boolean(slot int, v bool) *fbTable {
	if v {
		return t.u8(slot, 1)
	}
	return t.u8(slot, 0)
}

func int32Vector(v []int32) *fbVector {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return &fbVector{data: b, elem: 4, align: 4}
}

func float32Vector(v []float32) *fbVector {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return &fbVector{data: b, elem: 4, align: 4}
}

func int64Vector(v []int64) *fbVector {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return &fbVector{data: b, elem: 8, align: 8}
}

type fbWriter struct{ buf []byte }

func (w *fbWriter) pad(align int) {
	for len(w.buf)%align != 0 {
		w.buf = append(w.buf, 0)
	}
}

func (w *fbWriter) putU32(pos int, v uint32) { binary.LittleEndian.PutUint32(w.buf[pos:], v) }

// patchRef makes the uoffset at pos point to target.
func (w *fbWriter) patchRef(pos, target int) { w.putU32(pos, uint32(target-pos)) }

// finish writes the root table after an 8-byte header holding the root
// offset and the file identifier.
func (w *fbWriter) finish(root *fbTable, ident string) error {
	w.buf = append(w.buf, 0, 0, 0, 0)
	w.buf = append(w.buf, ident...)
	pos := w.emit(root)
	w.putU32(0, uint32(pos))
	if len(w.buf) > math.MaxInt32 {
		return fmt.Errorf("build: flatbuffer of %d bytes exceeds 2 GiB", len(w.buf))
	}
	return nil
}

// emit writes o and its children and returns o's position.
func (w *fbWriter) emit(o fbObj) int {
	switch o := o.(type) {
	case *fbTable:
		return w.emitTable(o)
	case *fbVector:
		a := max(o.align, 4)
		for (len(w.buf)+4)%a != 0 {
			w.buf = append(w.buf, 0)
		}
		pos := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(o.data)/o.elem))
		w.buf = append(w.buf, o.data...)
		return pos
	case fbString:
		w.pad(4)
		pos := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(o)))
		w.buf = append(w.buf, o...)
		w.buf = append(w.buf, 0)
		return pos
	case fbRefs:
		w.pad(4)
		pos := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(o)))
		w.buf = append(w.buf, make([]byte, 4*len(o))...)
		for i, c := range o {
			w.patchRef(pos+4+4*i, w.emit(c))
		}
		return pos
	}
	panic(fmt.Sprintf("build: unknown flatbuffer object %T", o)) // unreachable: only this file makes objects
}

func (w *fbWriter) emitTable(t *fbTable) int {
	nslots := 0
	maxAlign := 4
	for _, f := range t.fields {
		nslots = max(nslots, f.slot+1)
		maxAlign = max(maxAlign, f.size)
	}
	// Inline layout: the vtable offset, then fields largest first so each
	// is naturally aligned when the table start is aligned to maxAlign.
	order := make([]int, len(t.fields))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return t.fields[order[a]].size > t.fields[order[b]].size })
	offs := make([]int, len(t.fields))
	size := 4
	for _, i := range order {
		s := t.fields[i].size
		size = (size + s - 1) / s * s
		offs[i] = size
		size += s
	}

	w.pad(2)
	vt := len(w.buf)
	vlen := 4 + 2*nslots
	w.buf = append(w.buf, make([]byte, vlen)...)
	// Pad so that the table starts aligned to its widest field.
	for len(w.buf)%maxAlign != 0 {
		w.buf = append(w.buf, 0)
	}
	pos := len(w.buf)
	binary.LittleEndian.PutUint16(w.buf[vt:], uint16(vlen))
	binary.LittleEndian.PutUint16(w.buf[vt+2:], uint16(size))
	w.buf = append(w.buf, make([]byte, size)...)
	w.putU32(pos, uint32(int32(pos-vt)))
	for i, f := range t.fields {
		binary.LittleEndian.PutUint16(w.buf[vt+4+2*f.slot:], uint16(offs[i]))
		p := pos + offs[i]
		switch f.size {
		case 1:
			w.buf[p] = byte(f.bits)
		case 2:
			binary.LittleEndian.PutUint16(w.buf[p:], uint16(f.bits))
		case 4:
			w.putU32(p, uint32(f.bits))
		case 8:
			binary.LittleEndian.PutUint64(w.buf[p:], f.bits)
		}
		if f.late != nil {
			*f.late = p
		}
	}
	for i, f := range t.fields {
		if f.ref != nil {
			w.patchRef(pos+offs[i], w.emit(f.ref))
		}
	}
	return pos
}
