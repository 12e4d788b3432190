package iio

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// scanType is a parsed in_*_type attribute: "[be|le]:[s|u]bits/storagebits[Xrepeat]>>shift".
type scanType struct {
	be      bool
	signed  bool
	bits    uint // meaningful bits
	storage uint // bits the element occupies: 8, 16, 32 or 64
	shift   uint
}

// parseScanType validates a type string from the kernel (or a fake tree)
// before its numbers size anything.
func parseScanType(s string) (scanType, error) {
	var t scanType
	endian, rest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return t, fmt.Errorf("type %q: want [be|le]:[s|u]bits/storage>>shift", s)
	case endian == "be":
		t.be = true
	case endian != "le":
		return t, fmt.Errorf("type %q: endianness %q is not be or le", s, endian)
	}
	if rest == "" || (rest[0] != 's' && rest[0] != 'u') {
		return t, fmt.Errorf("type %q: sign is not s or u", s)
	}
	t.signed = rest[0] == 's'
	sizes, shift, ok := strings.Cut(rest[1:], ">>")
	if !ok {
		return t, fmt.Errorf("type %q: no >>shift", s)
	}
	bitsS, storS, ok := strings.Cut(sizes, "/")
	if !ok {
		return t, fmt.Errorf("type %q: no bits/storage", s)
	}
	if strings.Contains(storS, "X") {
		return t, fmt.Errorf("type %q: repeated elements are not supported", s)
	}
	bits, err1 := strconv.ParseUint(bitsS, 10, 8)
	stor, err2 := strconv.ParseUint(storS, 10, 8)
	sh, err3 := strconv.ParseUint(shift, 10, 8)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return t, fmt.Errorf("type %q: sizes are not numbers", s)
	case stor != 8 && stor != 16 && stor != 32 && stor != 64:
		return t, fmt.Errorf("type %q: storage %d bits is not 8, 16, 32 or 64", s, stor)
	case bits == 0 || bits+sh > stor:
		return t, fmt.Errorf("type %q: %d bits shifted by %d do not fit %d", s, bits, sh, stor)
	}
	t.bits, t.storage, t.shift = uint(bits), uint(stor), uint(sh)
	return t, nil
}

func (t scanType) String() string {
	e, s := "le", "u"
	if t.be {
		e = "be"
	}
	if t.signed {
		s = "s"
	}
	return fmt.Sprintf("%s:%s%d/%d>>%d", e, s, t.bits, t.storage, t.shift)
}

// element is one enabled scan element and where it sits in a record.
type element struct {
	name  string
	index int
	typ   scanType
	at    int // byte offset in the record
}

// layout orders elements by scan index and places each at the next
// multiple of its own size, padding the record to a multiple of the
// largest, as the kernel's iio_compute_scan_bytes does. It returns the
// record size.
func layout(els []element) int {
	sort.Slice(els, func(i, j int) bool { return els[i].index < els[j].index })
	size, largest := 0, 1
	for i := range els {
		n := int(els[i].typ.storage / 8)
		size = (size + n - 1) / n * n
		els[i].at = size
		size += n
		largest = max(largest, n)
	}
	return (size + largest - 1) / largest * largest
}

// decode extracts an element's value from a record.
func (e *element) decode(rec []byte) int64 {
	b := rec[e.at : e.at+int(e.typ.storage/8)]
	var v uint64
	switch e.typ.storage {
	case 8:
		v = uint64(b[0])
	case 16:
		if e.typ.be {
			v = uint64(binary.BigEndian.Uint16(b))
		} else {
			v = uint64(binary.LittleEndian.Uint16(b))
		}
	case 32:
		if e.typ.be {
			v = uint64(binary.BigEndian.Uint32(b))
		} else {
			v = uint64(binary.LittleEndian.Uint32(b))
		}
	default:
		if e.typ.be {
			v = binary.BigEndian.Uint64(b)
		} else {
			v = binary.LittleEndian.Uint64(b)
		}
	}
	v >>= e.typ.shift
	if e.typ.bits < 64 {
		v &= 1<<e.typ.bits - 1
		if e.typ.signed && v&(1<<(e.typ.bits-1)) != 0 {
			v |= ^uint64(0) << e.typ.bits
		}
	}
	return int64(v)
}
