package buffer

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Value layout of one record (the key is the 8-byte big-endian Seq):
//
//	[0:4]   CRC-32C over class, key and value[4:]
//	[4:12]  creation time, Unix nanoseconds, big-endian int64
//	[12:14] topic length, big-endian uint16
//	[14:]   topic, then payload
//
// The checksum covers the class and the key as well, so a value that ends up
// under the wrong key or in the wrong bucket is detected, not just bit rot.
const (
	recHeader = 14
	keyLen    = 8
	maxTopic  = math.MaxUint16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func putSeq(dst []byte, seq uint64) { binary.BigEndian.PutUint64(dst, seq) }

// keySeq decodes a record key.
func keySeq(k []byte) (uint64, error) {
	if len(k) != keyLen {
		return 0, fmt.Errorf("%w: key %x is %d bytes, want %d", ErrCorrupt, k, len(k), keyLen)
	}
	seq := binary.BigEndian.Uint64(k)
	if seq == 0 {
		return 0, fmt.Errorf("%w: key with sequence 0", ErrCorrupt)
	}
	return seq, nil
}

func recordCRC(class Class, key, rest []byte) uint32 {
	c := crc32.Update(0, castagnoli, key)
	c = crc32.Update(c, castagnoli, rest)
	// Mixing the class in this way (instead of hashing a one-byte slice)
	// keeps the hot path free of allocations.
	return c ^ uint32(class)*0x9e3779b1
}

// appendValue appends the encoded value of r, stored under key, to dst.
// The caller has validated the topic length.
func appendValue(dst []byte, class Class, key []byte, r *Record) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.Topic)))
	dst = append(dst, r.Topic...)
	dst = append(dst, r.Payload...)
	binary.BigEndian.PutUint32(dst[start:], recordCRC(class, key, dst[start+4:]))
	return dst
}

// decodeValue validates a stored value and returns its parts, which alias
// v. key has passed keySeq.
func decodeValue(class Class, key, v []byte) (unixNano int64, topic, payload []byte, err error) {
	seq := binary.BigEndian.Uint64(key)
	if len(v) < recHeader {
		return 0, nil, nil, fmt.Errorf("%w: %s record %d: value is %d bytes, shorter than the %d-byte header", ErrCorrupt, class, seq, len(v), recHeader)
	}
	if got, want := recordCRC(class, key, v[4:]), binary.BigEndian.Uint32(v); got != want {
		return 0, nil, nil, fmt.Errorf("%w: %s record %d: checksum %08x, stored %08x", ErrCorrupt, class, seq, got, want)
	}
	n := int(binary.BigEndian.Uint16(v[12:]))
	if n == 0 || recHeader+n > len(v) {
		return 0, nil, nil, fmt.Errorf("%w: %s record %d: topic length %d does not fit a %d-byte value", ErrCorrupt, class, seq, n, len(v))
	}
	return int64(binary.BigEndian.Uint64(v[4:])), v[recHeader : recHeader+n], v[recHeader+n:], nil
}

// valueTime reads the creation time of a value without checking it; used on
// the hot drop path where the value is about to be deleted anyway.
func valueTime(v []byte) (int64, bool) {
	if len(v) < recHeader {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v[4:])), true
}

// valueBytes is what a stored value counts against MaxBytes: topic+payload.
func valueBytes(v []byte) int64 {
	if len(v) < recHeader {
		return 0
	}
	return int64(len(v) - recHeader)
}

// state is the meta record, rewritten by every write transaction so that the
// sequence and the byte accounting survive restarts exactly.
type state struct {
	lastSeq uint64
	count   [2]int64 // by class index (Class-1)
	bytes   [2]int64
	drops   Drops // dropped but not yet handed out by TakeDrops
}

const stateLen = 4 + 10*8

func (s *state) encode(dst *[stateLen]byte) []byte {
	b := dst[:4]
	for _, x := range [...]uint64{
		s.lastSeq,
		uint64(s.count[0]), uint64(s.bytes[0]),
		uint64(s.count[1]), uint64(s.bytes[1]),
		s.drops.Scores, s.drops.Events, uint64(s.drops.Bytes),
		s.drops.OldestDropped, s.drops.NewestDropped,
	} {
		b = binary.BigEndian.AppendUint64(b, x)
	}
	binary.BigEndian.PutUint32(b, crc32.Checksum(b[4:], castagnoli))
	return b
}

func decodeState(v []byte) (state, error) {
	var s state
	if len(v) != stateLen {
		return s, fmt.Errorf("%w: state record is %d bytes, want %d", ErrCorrupt, len(v), stateLen)
	}
	if got, want := crc32.Checksum(v[4:], castagnoli), binary.BigEndian.Uint32(v); got != want {
		return s, fmt.Errorf("%w: state record checksum %08x, stored %08x", ErrCorrupt, got, want)
	}
	var u [10]uint64
	for i := range u {
		u[i] = binary.BigEndian.Uint64(v[4+8*i:])
	}
	s.lastSeq = u[0]
	s.count = [2]int64{int64(u[1]), int64(u[3])}
	s.bytes = [2]int64{int64(u[2]), int64(u[4])}
	s.drops = Drops{Scores: u[5], Events: u[6], Bytes: int64(u[7]), OldestDropped: u[8], NewestDropped: u[9]}
	for i := range 2 {
		if s.count[i] < 0 || s.bytes[i] < 0 {
			return s, fmt.Errorf("%w: state record has negative counters", ErrCorrupt)
		}
	}
	if s.drops.Bytes < 0 {
		return s, fmt.Errorf("%w: state record has negative dropped bytes", ErrCorrupt)
	}
	return s, nil
}
