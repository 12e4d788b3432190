package flexbuf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every error about broken bytes.
var ErrMalformed = errors.New("malformed flexbuffer")

func errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Type is a FlexBuffers value type.
type Type uint8

// The FlexBuffers types.
const (
	TypeNull          Type = 0
	TypeInt           Type = 1
	TypeUint          Type = 2
	TypeFloat         Type = 3
	TypeKey           Type = 4
	TypeString        Type = 5
	TypeIndirectInt   Type = 6
	TypeIndirectUint  Type = 7
	TypeIndirectFloat Type = 8
	TypeMap           Type = 9
	TypeVector        Type = 10
	TypeVectorInt     Type = 11
	TypeVectorUint    Type = 12
	TypeVectorFloat   Type = 13
	TypeVectorKey     Type = 14
	TypeVectorString  Type = 15 // deprecated by FlexBuffers, still readable
	TypeVectorInt2    Type = 16
	TypeVectorUint2   Type = 17
	TypeVectorFloat2  Type = 18
	TypeVectorInt3    Type = 19
	TypeVectorUint3   Type = 20
	TypeVectorFloat3  Type = 21
	TypeVectorInt4    Type = 22
	TypeVectorUint4   Type = 23
	TypeVectorFloat4  Type = 24
	TypeBlob          Type = 25
	TypeBool          Type = 26
	TypeVectorBool    Type = 36
	maxType           Type = 37
	typedVectorToElem      = TypeVectorInt - TypeInt
)

var typeNames = map[Type]string{
	TypeNull: "null", TypeInt: "int", TypeUint: "uint", TypeFloat: "float",
	TypeKey: "key", TypeString: "string", TypeIndirectInt: "indirect int",
	TypeIndirectUint: "indirect uint", TypeIndirectFloat: "indirect float",
	TypeMap: "map", TypeVector: "vector", TypeVectorInt: "int vector",
	TypeVectorUint: "uint vector", TypeVectorFloat: "float vector",
	TypeVectorKey: "key vector", TypeVectorString: "string vector",
	TypeVectorInt2: "int[2]", TypeVectorUint2: "uint[2]", TypeVectorFloat2: "float[2]",
	TypeVectorInt3: "int[3]", TypeVectorUint3: "uint[3]", TypeVectorFloat3: "float[3]",
	TypeVectorInt4: "int[4]", TypeVectorUint4: "uint[4]", TypeVectorFloat4: "float[4]",
	TypeBlob: "blob", TypeBool: "bool", TypeVectorBool: "bool vector",
}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Value is one FlexBuffers value: a slot in its parent plus the type of
// what it holds. The zero Value is null.
type Value struct {
	buf         []byte
	pos         int  // position of the slot in buf
	parentWidth int  // bytes of the slot
	width       int  // bytes of the target's scalars / size field
	typ         Type // what the slot holds
}

// Root returns the root value of a FlexBuffers buffer.
func Root(buf []byte) (Value, error) {
	if len(buf) < 3 {
		return Value{}, errf("%d bytes is too short for a flexbuffer", len(buf))
	}
	w := int(buf[len(buf)-1])
	if w != 1 && w != 2 && w != 4 && w != 8 {
		return Value{}, errf("root width %d is not 1, 2, 4 or 8", w)
	}
	pos := len(buf) - 2 - w
	if pos < 0 {
		return Value{}, errf("root slot of %d bytes does not fit the %d-byte buffer", w, len(buf))
	}
	return newValue(buf, pos, w, buf[len(buf)-2])
}

func newValue(buf []byte, pos, parentWidth int, packed uint8) (Value, error) {
	t := Type(packed >> 2)
	if t >= maxType || (t > TypeBool && t != TypeVectorBool) {
		return Value{}, errf("unknown type %d at offset %d", t, pos)
	}
	return Value{buf: buf, pos: pos, parentWidth: parentWidth, width: 1 << (packed & 3), typ: t}, nil
}

// Type is the type of the value.
func (v Value) Type() Type { return v.typ }

// IsNull reports whether the value is null (absent map entries are null).
func (v Value) IsNull() bool { return v.typ == TypeNull }

func readUint(buf []byte, pos, w int) (uint64, error) {
	if pos < 0 || pos > len(buf)-w {
		return 0, errf("%d-byte value at offset %d is outside the %d-byte buffer", w, pos, len(buf))
	}
	switch w {
	case 1:
		return uint64(buf[pos]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(buf[pos:])), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(buf[pos:])), nil
	case 8:
		return binary.LittleEndian.Uint64(buf[pos:]), nil
	}
	return 0, errf("width %d at offset %d is not 1, 2, 4 or 8", w, pos)
}

func readInt(buf []byte, pos, w int) (int64, error) {
	u, err := readUint(buf, pos, w)
	if err != nil {
		return 0, err
	}
	switch w {
	case 1:
		return int64(int8(u)), nil
	case 2:
		return int64(int16(u)), nil
	case 4:
		return int64(int32(u)), nil
	}
	return int64(u), nil
}

func readFloat(buf []byte, pos, w int) (float64, error) {
	if w != 4 && w != 8 {
		return 0, errf("float of %d bytes at offset %d is not supported", w, pos)
	}
	u, err := readUint(buf, pos, w)
	if err != nil {
		return 0, err
	}
	if w == 4 {
		return float64(math.Float32frombits(uint32(u))), nil
	}
	return math.Float64frombits(u), nil
}

// indirect follows the offset stored in the slot.
func (v Value) indirect() (int, error) {
	off, err := readUint(v.buf, v.pos, v.parentWidth)
	if err != nil {
		return 0, err
	}
	if off > uint64(v.pos) {
		return 0, errf("offset %d at %d points before the start of the buffer", off, v.pos)
	}
	return v.pos - int(off), nil
}

func (v Value) mismatch(want string) error {
	return fmt.Errorf("flexbuf: %s at offset %d is not %s", v.typ, v.pos, want)
}

// Int returns an integer, bool or float value as int64 (floats truncate).
func (v Value) Int() (int64, error) {
	switch v.typ {
	case TypeInt, TypeBool:
		return readInt(v.buf, v.pos, v.parentWidth)
	case TypeUint:
		u, err := readUint(v.buf, v.pos, v.parentWidth)
		return int64(u), err
	case TypeFloat:
		f, err := readFloat(v.buf, v.pos, v.parentWidth)
		if err != nil {
			return 0, err
		}
		return floatToInt(f, v.pos)
	case TypeIndirectInt, TypeIndirectUint, TypeIndirectFloat:
		p, err := v.indirect()
		if err != nil {
			return 0, err
		}
		switch v.typ {
		case TypeIndirectInt:
			return readInt(v.buf, p, v.width)
		case TypeIndirectUint:
			u, err := readUint(v.buf, p, v.width)
			return int64(u), err
		}
		f, err := readFloat(v.buf, p, v.width)
		if err != nil {
			return 0, err
		}
		return floatToInt(f, p)
	}
	return 0, v.mismatch("a number")
}

func floatToInt(f float64, pos int) (int64, error) {
	if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("flexbuf: float %g at offset %d does not fit an integer", f, pos)
	}
	return int64(f), nil
}

// Float returns a numeric value as float64.
func (v Value) Float() (float64, error) {
	switch v.typ {
	case TypeFloat:
		return readFloat(v.buf, v.pos, v.parentWidth)
	case TypeIndirectFloat:
		p, err := v.indirect()
		if err != nil {
			return 0, err
		}
		return readFloat(v.buf, p, v.width)
	case TypeUint, TypeIndirectUint:
		u, err := v.uint()
		return float64(u), err
	case TypeInt, TypeIndirectInt, TypeBool:
		i, err := v.Int()
		return float64(i), err
	}
	return 0, v.mismatch("a number")
}

func (v Value) uint() (uint64, error) {
	if v.typ == TypeIndirectUint {
		p, err := v.indirect()
		if err != nil {
			return 0, err
		}
		return readUint(v.buf, p, v.width)
	}
	return readUint(v.buf, v.pos, v.parentWidth)
}

// Bool returns a bool, or whether a number is not zero.
func (v Value) Bool() (bool, error) {
	switch v.typ {
	case TypeUint, TypeIndirectUint:
		u, err := v.uint()
		return u != 0, err
	case TypeFloat, TypeIndirectFloat:
		f, err := v.Float()
		return f != 0, err
	}
	i, err := v.Int()
	if err != nil {
		return false, v.mismatch("a bool")
	}
	return i != 0, nil
}

// Str returns a string or key value.
func (v Value) Str() (string, error) {
	switch v.typ {
	case TypeString:
		b, err := v.sized()
		return string(b), err
	case TypeKey:
		p, err := v.indirect()
		if err != nil {
			return "", err
		}
		return cstring(v.buf, p)
	}
	return "", v.mismatch("a string")
}

// Blob returns the bytes of a blob or string value (not copied).
func (v Value) Blob() ([]byte, error) {
	if v.typ != TypeBlob && v.typ != TypeString {
		return nil, v.mismatch("a blob")
	}
	return v.sized()
}

// sized reads a [size][bytes] target with a size field of v.width bytes.
func (v Value) sized() ([]byte, error) {
	p, err := v.indirect()
	if err != nil {
		return nil, err
	}
	n, err := readUint(v.buf, p-v.width, v.width)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(v.buf)-p) {
		return nil, errf("%s at offset %d has %d bytes, past the end of the buffer", v.typ, p, n)
	}
	return v.buf[p : p+int(n)], nil
}

func cstring(buf []byte, p int) (string, error) {
	if p < 0 || p >= len(buf) {
		return "", errf("key at offset %d is outside the buffer", p)
	}
	for i := p; i < len(buf); i++ {
		if buf[i] == 0 {
			return string(buf[p:i]), nil
		}
	}
	return "", errf("key at offset %d has no terminating NUL", p)
}

// Vector is a validated vector: untyped, typed or fixed-length typed.
type Vector struct {
	buf   []byte
	data  int
	n     int
	width int
	elem  Type // element type of typed vectors; TypeNull for untyped
}

// Len is the number of elements.
func (vec Vector) Len() int { return vec.n }

// Vector returns a vector value (maps read as the vector of their values).
func (v Value) Vector() (Vector, error) {
	elem := TypeNull
	fixed := 0
	switch {
	case v.typ == TypeVector || v.typ == TypeMap:
	case v.typ >= TypeVectorInt && v.typ <= TypeVectorString || v.typ == TypeVectorBool:
		elem = v.typ - typedVectorToElem
	case v.typ >= TypeVectorInt2 && v.typ <= TypeVectorFloat4:
		k := int(v.typ - TypeVectorInt2)
		fixed, elem = k/3+2, Type(k%3)+TypeInt
	default:
		return Vector{}, v.mismatch("a vector")
	}
	p, err := v.indirect()
	if err != nil {
		return Vector{}, err
	}
	n := uint64(fixed)
	if fixed == 0 {
		if n, err = readUint(v.buf, p-v.width, v.width); err != nil {
			return Vector{}, err
		}
	}
	return vectorAt(v.buf, p, n, v.width, elem)
}

func vectorAt(buf []byte, p int, n uint64, w int, elem Type) (Vector, error) {
	per := uint64(w)
	if elem == TypeNull {
		per++ // one packed type byte per element follows the elements
	}
	if n > uint64(len(buf)-p)/per {
		return Vector{}, errf("vector at offset %d has %d elements of %d bytes, past the end of the %d-byte buffer", p, n, w, len(buf))
	}
	return Vector{buf: buf, data: p, n: int(n), width: w, elem: elem}, nil
}

// At returns element i.
func (vec Vector) At(i int) (Value, error) {
	if i < 0 || i >= vec.n {
		return Value{}, fmt.Errorf("flexbuf: index %d out of range for a vector of %d elements", i, vec.n)
	}
	pos := vec.data + i*vec.width
	if vec.elem != TypeNull {
		return Value{buf: vec.buf, pos: pos, parentWidth: vec.width, width: 1, typ: vec.elem}, nil
	}
	return newValue(vec.buf, pos, vec.width, vec.buf[vec.data+vec.n*vec.width+i])
}

// Ints returns the elements as int64s.
func (vec Vector) Ints() ([]int64, error) {
	out := make([]int64, vec.n)
	for i := range out {
		e, err := vec.At(i)
		if err == nil {
			out[i], err = e.Int()
		}
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return out, nil
}

// Floats returns the elements as float64s.
func (vec Vector) Floats() ([]float64, error) {
	out := make([]float64, vec.n)
	for i := range out {
		e, err := vec.At(i)
		if err == nil {
			out[i], err = e.Float()
		}
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return out, nil
}

// Map is a validated map: sorted keys and their values.
type Map struct {
	values Vector
	keys   Vector
}

// Map returns a map value.
func (v Value) Map() (Map, error) {
	if v.typ != TypeMap {
		return Map{}, v.mismatch("a map")
	}
	vals, err := v.Vector()
	if err != nil {
		return Map{}, err
	}
	kpos := vals.data - 3*v.width
	koff, err := readUint(v.buf, kpos, v.width)
	if err != nil {
		return Map{}, err
	}
	kw, err := readUint(v.buf, vals.data-2*v.width, v.width)
	if err != nil {
		return Map{}, err
	}
	if kw != 1 && kw != 2 && kw != 4 && kw != 8 {
		return Map{}, errf("map at offset %d has key width %d", vals.data, kw)
	}
	if koff > uint64(kpos) {
		return Map{}, errf("map at offset %d has its keys before the start of the buffer", vals.data)
	}
	kp := kpos - int(koff)
	kn, err := readUint(v.buf, kp-int(kw), int(kw))
	if err != nil {
		return Map{}, err
	}
	if kn != uint64(vals.n) {
		return Map{}, errf("map at offset %d has %d values but %d keys", vals.data, vals.n, kn)
	}
	keys, err := vectorAt(v.buf, kp, kn, int(kw), TypeKey)
	if err != nil {
		return Map{}, err
	}
	return Map{values: vals, keys: keys}, nil
}

// Len is the number of entries.
func (m Map) Len() int { return m.values.n }

// Key returns the key of entry i.
func (m Map) Key(i int) (string, error) {
	k, err := m.keys.At(i)
	if err != nil {
		return "", err
	}
	return k.Str()
}

// Value returns the value of entry i.
func (m Map) Value(i int) (Value, error) { return m.values.At(i) }

// Get returns the value stored under key; ok is false when it is absent.
func (m Map) Get(key string) (v Value, ok bool, err error) {
	for i := 0; i < m.Len(); i++ {
		k, err := m.Key(i)
		if err != nil {
			return Value{}, false, err
		}
		if k == key {
			v, err := m.values.At(i)
			return v, err == nil, err
		}
	}
	return Value{}, false, nil
}
