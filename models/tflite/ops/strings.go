package ops

import (
	"encoding/binary"
	"fmt"

	"github.com/axle-edge/axle/models"
)

// String tensors keep TFLite's layout in Data, so constants are used in
// place and outputs read back as TFLite writes them:
//
//	int32 count | int32 offsets[count+1] | bytes
//
// offsets count from the start of Data; string i is
// Data[offsets[i]:offsets[i+1]] and offsets[count] is len(Data). The
// element count of the shape equals count. A string tensor has no fixed
// size, so one written by a kernel is Dynamic and sized with
// Context.ResizeBytes.

// maxStringBytes bounds a string buffer: offsets are int32.
const maxStringBytes = 1<<31 - 1

// CheckStrings validates data as the string buffer of a tensor of n
// elements: the count, then every offset in order and inside data. Kernels
// index a checked buffer without further checks.
func CheckStrings(data []byte, n int) error {
	if len(data) < 8 {
		return fmt.Errorf("string buffer of %d bytes is shorter than its 8-byte minimum header", len(data))
	}
	if int64(len(data)) > maxStringBytes {
		return fmt.Errorf("string buffer of %d bytes is larger than 2^31-1", len(data))
	}
	count := int64(int32(binary.LittleEndian.Uint32(data)))
	if count < 0 {
		return fmt.Errorf("string buffer has negative count %d", count)
	}
	header := 4 * (count + 2)
	if header > int64(len(data)) {
		return fmt.Errorf("string buffer count %d needs a %d-byte header, the buffer has %d bytes", count, header, len(data))
	}
	if count != int64(n) {
		return fmt.Errorf("string buffer holds %d strings, the shape has %d elements", count, n)
	}
	prev := header
	for i := int64(0); i <= count; i++ {
		off := int64(int32(binary.LittleEndian.Uint32(data[4*(i+1):])))
		if off < prev || off > int64(len(data)) {
			return fmt.Errorf("string buffer offset %d is %d, outside [%d,%d]", i, off, prev, len(data))
		}
		prev = off
	}
	if prev != int64(len(data)) {
		return fmt.Errorf("string buffer ends at offset %d but has %d bytes", prev, len(data))
	}
	return nil
}

// StringAt is string i of a checked string tensor (a view, not a copy).
func (t *Tensor) StringAt(i int) []byte {
	lo := binary.LittleEndian.Uint32(t.Data[4*(i+1):])
	hi := binary.LittleEndian.Uint32(t.Data[4*(i+2):])
	return t.Data[lo:hi]
}

// checkStringTensor checks that t is a string tensor whose buffer matches
// its shape, naming the node and tensor otherwise.
func checkStringTensor(n *Node, t *Tensor, role string) error {
	if t.Type != models.String {
		return n.Errorf("%s tensor %q must be string, got %s", role, t.Name, t.Type)
	}
	if err := CheckStrings(t.Data, t.NumElements()); err != nil {
		return n.Errorf("%s tensor %q: %v", role, t.Name, err)
	}
	return nil
}

// stringWriter fills a string buffer of count strings whose total length
// is known in advance: size it with stringBytes, resize the tensor, then
// add the strings in order.
type stringWriter struct {
	data []byte
	i    int // next string
	off  int // where its bytes go
}

// stringBytes is the buffer size of count strings of total bytes; false
// when it does not fit TFLite's int32 offsets.
func stringBytes(count, total int64) (int64, bool) {
	size := 4*(count+2) + total
	return size, count >= 0 && total >= 0 && size <= maxStringBytes
}

func newStringWriter(data []byte, count int) stringWriter {
	binary.LittleEndian.PutUint32(data, uint32(count))
	off := 4 * (count + 2)
	binary.LittleEndian.PutUint32(data[4:], uint32(off))
	return stringWriter{data: data, off: off}
}

func (w *stringWriter) add(s []byte) {
	copy(w.data[w.off:], s)
	w.off += len(s)
	w.i++
	binary.LittleEndian.PutUint32(w.data[4*(w.i+1):], uint32(w.off))
}
