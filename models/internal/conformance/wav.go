package conformance

import (
	"encoding/binary"
	"fmt"
	"os"
)

// ReadWAV16 reads the samples of a 16-bit PCM mono WAV file (the
// micro_speech pipeline clips).
func ReadWAV16(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseWAV16(path, b)
}

// parseWAV16 walks the RIFF chunks of b; name is for messages.
func parseWAV16(name string, b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s is not a WAV file", name)
	}
	var pcm16 bool
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		// int64: a chunk size near 4 GiB must not wrap on 32-bit.
		size := int64(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if size > int64(len(body)) {
			return nil, fmt.Errorf("%s: chunk %q at byte %d is truncated (%d bytes, %d left)", name, id, p, size, len(body))
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%s: short fmt chunk (%d bytes)", name, size)
			}
			format, ch, bits := binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:]), binary.LittleEndian.Uint16(body[14:])
			pcm16 = format == 1 && ch == 1 && bits == 16
		case "data":
			if !pcm16 {
				return nil, fmt.Errorf("%s: not 16-bit PCM mono", name)
			}
			s := make([]int16, size/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return s, nil
		}
		p += 8 + int(size) + int(size%2)
	}
	return nil, fmt.Errorf("%s: no data chunk", name)
}
