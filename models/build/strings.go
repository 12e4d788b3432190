package build

import "encoding/binary"

// Strings is the data of a string constant in TFLite's string buffer
// layout (int32 count, int32 offsets[count+1] from the buffer's start,
// then the bytes), for Const with models.String.
func Strings(ss ...string) Raw {
	size := 4 * (len(ss) + 2)
	for _, s := range ss {
		size += len(s)
	}
	out := make([]byte, 4*(len(ss)+2), size)
	binary.LittleEndian.PutUint32(out, uint32(len(ss)))
	off := 4 * (len(ss) + 2)
	for i, s := range ss {
		binary.LittleEndian.PutUint32(out[4*(i+1):], uint32(off))
		off += len(s)
		out = append(out, s...)
	}
	binary.LittleEndian.PutUint32(out[4*(len(ss)+1):], uint32(off))
	return Raw(out)
}
