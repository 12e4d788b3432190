package ops

import (
	"encoding/binary"
	"testing"
)

// FuzzCheckStrings: CheckStrings never panics, and every string of a
// buffer it accepts lies inside the buffer, in order, after the header
// (gaps between strings are allowed: readers go by the offsets).
func FuzzCheckStrings(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 8, 0, 0, 0}, 0)
	f.Add([]byte{1, 0, 0, 0, 12, 0, 0, 0, 14, 0, 0, 0, 'h', 'i'}, 1)
	f.Add([]byte{2, 0, 0, 0, 16, 0, 0, 0, 18, 0, 0, 0, 17, 0, 0, 0, 'a', 'b'}, 2)
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 8, 0, 0, 0}, 1)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if CheckStrings(data, n) != nil {
			return
		}
		tn := &Tensor{Data: data}
		header := 4 * (n + 2)
		end := header
		for i := range n {
			s := tn.StringAt(i)
			lo := int(binary.LittleEndian.Uint32(data[4*(i+1):]))
			if lo < end || lo+len(s) > len(data) {
				t.Fatalf("string %d at %d (%d bytes) out of order or outside %d bytes", i, lo, len(s), len(data))
			}
			end = lo + len(s)
		}
		if end != len(data) {
			t.Fatalf("strings end at %d of %d bytes", end, len(data))
		}
	})
}

func TestStringWriterRoundTrip(t *testing.T) {
	in := []string{"", "one", "", "three"}
	total := int64(0)
	for _, s := range in {
		total += int64(len(s))
	}
	size, ok := stringBytes(int64(len(in)), total)
	if !ok || size != 4*6+8 {
		t.Fatalf("stringBytes = %d, %v; want 32, true", size, ok)
	}
	buf := make([]byte, size)
	w := newStringWriter(buf, len(in))
	for _, s := range in {
		w.add([]byte(s))
	}
	if err := CheckStrings(buf, len(in)); err != nil {
		t.Fatal(err)
	}
	tn := &Tensor{Data: buf}
	for i, s := range in {
		if got := string(tn.StringAt(i)); got != s {
			t.Errorf("string %d = %q, want %q", i, got, s)
		}
	}
	if _, ok := stringBytes(1, 1<<31); ok {
		t.Error("stringBytes accepted a buffer past int32 offsets")
	}
}
