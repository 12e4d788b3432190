package flexbuf

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// Map entries and other composite values for Encode.
type (
	// Entries is a map value; keys are written sorted, as FlexBuffers
	// requires.
	Entries map[string]any
	// Blob is a byte blob value ([]byte encodes as a uint vector).
	Blob []byte
)

// Encode serialises v as a FlexBuffer, using the narrowest single width
// (1, 2, 4 or 8 bytes) that holds every scalar, size and offset. It writes
// the custom options of test models and of models axle builds.
//
// Supported values: nil, bool, int, int8..int64, uint8..uint64, float32,
// float64, string, Blob, Entries, []any, []int32, []int64, []float32,
// []float64, []byte (uint vector) and []bool.
func Encode(v any) ([]byte, error) {
	var last error
	for _, w := range []int{1, 2, 4, 8} {
		b, err := EncodeWidth(v, w)
		if err == nil {
			return b, nil
		}
		last = err
		if _, ok := err.(widthError); !ok {
			return nil, err
		}
	}
	return nil, last
}

type widthError struct{ what string }

func (e widthError) Error() string { return "flexbuf: " + e.what + " does not fit 8 bytes" }

// EncodeWidth is Encode with every slot, size and offset width bytes wide.
func EncodeWidth(v any, width int) ([]byte, error) {
	if width != 1 && width != 2 && width != 4 && width != 8 {
		return nil, fmt.Errorf("flexbuf: width %d is not 1, 2, 4 or 8", width)
	}
	e := &encoder{w: width}
	s, err := e.value(v)
	if err != nil {
		return nil, err
	}
	e.align()
	if err := e.slot(s); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, s.packed(width), byte(width))
	return e.buf, nil
}

// slot is an encoded value as its parent stores it.
type slot struct {
	typ    Type
	inline uint64 // bits of an inline scalar
	target int    // position of an offset target
}

func (s slot) isInline() bool {
	return s.typ <= TypeFloat || s.typ == TypeBool
}

func (s slot) packed(w int) byte {
	lg := map[int]byte{1: 0, 2: 1, 4: 2, 8: 3}[w]
	return byte(s.typ)<<2 | lg
}

type encoder struct {
	buf []byte
	w   int
}

func (e *encoder) align() {
	for len(e.buf)%e.w != 0 {
		e.buf = append(e.buf, 0)
	}
}

func (e *encoder) put(u uint64, what string) error {
	if e.w < 8 && u>>(8*e.w) != 0 {
		return widthError{what}
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], u)
	e.buf = append(e.buf, b[:e.w]...)
	return nil
}

func (e *encoder) putInt(i int64, what string) error {
	if e.w < 8 {
		lim := int64(1) << (8*e.w - 1)
		if i < -lim || i >= lim {
			return widthError{what}
		}
	}
	u := uint64(i)
	if e.w < 8 {
		u &= 1<<(8*e.w) - 1
	}
	return e.put(u, what)
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) slot(s slot) error {
	if s.isInline() {
		if s.typ == TypeInt {
			return e.putInt(int64(s.inline), "integer")
		}
		if s.typ == TypeFloat {
			return e.putFloat(math.Float64frombits(s.inline))
		}
		return e.put(s.inline, "unsigned integer")
	}
	return e.put(uint64(len(e.buf)-s.target), "offset")
}

func (e *encoder) putFloat(f float64) error {
	switch e.w {
	case 4:
		return e.put(uint64(math.Float32bits(float32(f))), "float")
	case 8:
		return e.put(math.Float64bits(f), "float")
	}
	return widthError{"float"}
}

func (e *encoder) value(v any) (slot, error) {
	switch x := v.(type) {
	case nil:
		return slot{typ: TypeNull}, nil
	case bool:
		return slot{typ: TypeBool, inline: boolU(x)}, nil
	case int:
		return slot{typ: TypeInt, inline: uint64(int64(x))}, nil
	case int8:
		return slot{typ: TypeInt, inline: uint64(int64(x))}, nil
	case int16:
		return slot{typ: TypeInt, inline: uint64(int64(x))}, nil
	case int32:
		return slot{typ: TypeInt, inline: uint64(int64(x))}, nil
	case int64:
		return slot{typ: TypeInt, inline: uint64(x)}, nil
	case uint8:
		return slot{typ: TypeUint, inline: uint64(x)}, nil
	case uint16:
		return slot{typ: TypeUint, inline: uint64(x)}, nil
	case uint32:
		return slot{typ: TypeUint, inline: uint64(x)}, nil
	case uint64:
		return slot{typ: TypeUint, inline: x}, nil
	case float32:
		return slot{typ: TypeFloat, inline: math.Float64bits(float64(x))}, nil
	case float64:
		return slot{typ: TypeFloat, inline: math.Float64bits(x)}, nil
	case string:
		return e.sized(TypeString, []byte(x), true)
	case Blob:
		return e.sized(TypeBlob, x, false)
	case []byte:
		return e.typed(TypeVectorUint, len(x), func(i int) error { return e.put(uint64(x[i]), "unsigned integer") })
	case []bool:
		return e.typed(TypeVectorBool, len(x), func(i int) error { return e.put(boolU(x[i]), "bool") })
	case []int32:
		return e.typed(TypeVectorInt, len(x), func(i int) error { return e.putInt(int64(x[i]), "integer") })
	case []int64:
		return e.typed(TypeVectorInt, len(x), func(i int) error { return e.putInt(x[i], "integer") })
	case []float32:
		return e.typed(TypeVectorFloat, len(x), func(i int) error { return e.putFloat(float64(x[i])) })
	case []float64:
		return e.typed(TypeVectorFloat, len(x), func(i int) error { return e.putFloat(x[i]) })
	case []any:
		return e.untyped(TypeVector, x)
	case Entries:
		return e.entries(x)
	}
	return slot{}, fmt.Errorf("flexbuf: cannot encode %T", v)
}

func (e *encoder) sized(t Type, b []byte, nul bool) (slot, error) {
	e.align()
	if err := e.put(uint64(len(b)), "size"); err != nil {
		return slot{}, err
	}
	s := slot{typ: t, target: len(e.buf)}
	e.buf = append(e.buf, b...)
	if nul {
		e.buf = append(e.buf, 0)
	}
	return s, nil
}

func (e *encoder) typed(t Type, n int, elem func(i int) error) (slot, error) {
	e.align()
	if err := e.put(uint64(n), "size"); err != nil {
		return slot{}, err
	}
	s := slot{typ: t, target: len(e.buf)}
	for i := 0; i < n; i++ {
		if err := elem(i); err != nil {
			return slot{}, err
		}
	}
	return s, nil
}

// untyped writes the children that live out of line, then the vector.
func (e *encoder) untyped(t Type, vals []any) (slot, error) {
	slots := make([]slot, len(vals))
	for i, v := range vals {
		s, err := e.value(v)
		if err != nil {
			return slot{}, err
		}
		slots[i] = s
	}
	return e.vector(t, slots)
}

func (e *encoder) vector(t Type, slots []slot) (slot, error) {
	e.align()
	if err := e.put(uint64(len(slots)), "size"); err != nil {
		return slot{}, err
	}
	s := slot{typ: t, target: len(e.buf)}
	for _, c := range slots {
		if err := e.slot(c); err != nil {
			return slot{}, err
		}
	}
	for _, c := range slots {
		e.buf = append(e.buf, c.packed(e.w))
	}
	return s, nil
}

func (e *encoder) entries(m Entries) (slot, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kpos := make([]int, len(keys))
	for i, k := range keys {
		kpos[i] = len(e.buf)
		e.buf = append(e.buf, k...)
		e.buf = append(e.buf, 0)
	}
	e.align()
	if err := e.put(uint64(len(keys)), "size"); err != nil {
		return slot{}, err
	}
	kvec := len(e.buf)
	for _, p := range kpos {
		if err := e.put(uint64(len(e.buf)-p), "offset"); err != nil {
			return slot{}, err
		}
	}
	slots := make([]slot, len(keys))
	for i, k := range keys {
		s, err := e.value(m[k])
		if err != nil {
			return slot{}, err
		}
		slots[i] = s
	}
	e.align()
	if err := e.put(uint64(len(e.buf)-kvec), "offset"); err != nil {
		return slot{}, err
	}
	if err := e.put(uint64(e.w), "width"); err != nil {
		return slot{}, err
	}
	return e.vector(TypeMap, slots)
}
