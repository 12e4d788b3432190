package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the capture file decoder: it must
// return a capture or an ErrCorrupt error, never panic, and whatever it
// accepts must encode again, decode again and keep its sample data.
func FuzzDecode(f *testing.F) {
	for _, c := range []Capture{testCapture(TriggerAlert, 1), bigCapture(),
		{Info: Info{ID: formatID(3), Trigger: TriggerCommand, Score: math.NaN(), NumFeatures: 2}, Features: []float32{1, -1}}} {
		if c.ID == "" {
			c.ID = formatID(1)
		}
		c.Samples = 0
		if len(c.Window) > 0 {
			c.Samples = len(c.Window[0])
		}
		c.NumFeatures = len(c.Features)
		b, err := encode(&c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Add([]byte{})
	f.Add([]byte("AXCP\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := encode(c)
		if err != nil {
			t.Fatalf("decoded capture does not encode: %v", err)
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-encoded capture does not decode: %v", err)
		}
		if len(c.Channels) > 0 && !bytes.Equal(again[len(again)-4-4*c.Samples*len(c.Channels)-4*len(c.Features):len(again)-4],
			b[len(b)-4-4*c.Samples*len(c.Channels)-4*len(c.Features):len(b)-4]) {
			t.Fatal("sample data changed in a decode/encode round trip")
		}
	})
}

// FuzzDecodeFramed fuzzes the header and data behind a valid prefix and
// checksum, which random bytes in FuzzDecode almost never reach.
func FuzzDecodeFramed(f *testing.F) {
	c := testCapture(TriggerDrift, 2)
	c.ID, c.Samples, c.NumFeatures = formatID(2), 100, 4
	b, err := encode(&c)
	if err != nil {
		f.Fatal(err)
	}
	hl := binary.LittleEndian.Uint32(b[8:])
	f.Add(b[prefixLen:prefixLen+hl], b[prefixLen+hl:len(b)-trailerLen])
	f.Add([]byte(`{"id":"000000000001","trigger":"sample","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","features":1}`), []byte{0, 0, 128, 63})
	f.Add([]byte(`{"id":"000000000001","trigger":"alert","channels":["a"],"samples":-1}`), []byte{})
	f.Add([]byte(`{"id":"1","trigger":"alert"}`), []byte{})
	f.Fuzz(func(t *testing.T, hdr, data []byte) {
		b := append([]byte(magic), version, 0, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
		b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
		b = append(append(b, hdr...), data...)
		b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
		c, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if _, err := encode(c); err != nil {
			t.Fatalf("decoded capture does not encode: %v", err)
		}
	})
}
