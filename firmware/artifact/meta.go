package artifact

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxChunkSize is the largest chunk payload; it keeps every MQTT message
// well under broker limits and bounds the memory a fetch holds per chunk.
const MaxChunkSize = 256 << 10

// MaxMetaBytes bounds the meta payload before it is decoded. 1 MiB holds the
// hash list of about 15,000 chunks (almost 4 GiB at 256 KiB).
const MaxMetaBytes = 1 << 20

// Meta describes one artifact published over MQTT. It is retained on
// <prefix>/artifacts/<sha256>/meta.
type Meta struct {
	V           int       `json:"v"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ChunkSize   int64     `json:"chunk_size"`
	Chunks      int       `json:"chunks"`
	ChunkSHA256 []string  `json:"chunk_sha256"`
	Name        string    `json:"name,omitempty"`
	Kind        string    `json:"kind,omitempty"`
	Version     string    `json:"version,omitempty"`
	Created     time.Time `json:"created,omitzero"`
}

// DecodeMeta decodes and validates a meta payload strictly: unknown fields,
// trailing data and inconsistent sizes are errors naming the field.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) > MaxMetaBytes {
		return m, fmt.Errorf("artifact: meta: %d bytes, limit %d", len(b), MaxMetaBytes)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("artifact: meta: %w", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return Meta{}, errors.New("artifact: meta: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// Validate checks that the fields agree with each other.
func (m Meta) Validate() error {
	field := func(name, format string, args ...any) error {
		return fmt.Errorf("artifact: meta: field %q: %s", name, fmt.Sprintf(format, args...))
	}
	switch {
	case m.V != 1:
		return field("v", "version %d is not supported, want 1", m.V)
	case !isSHA256(m.SHA256):
		return field("sha256", "%q is not 64 lowercase hex digits", clip(m.SHA256))
	case m.Size <= 0:
		return field("size", "%d must be positive", m.Size)
	case m.ChunkSize <= 0 || m.ChunkSize > MaxChunkSize:
		return field("chunk_size", "%d must be between 1 and %d", m.ChunkSize, MaxChunkSize)
	}
	if want := chunkCount(m.Size, m.ChunkSize); int64(m.Chunks) != want {
		return field("chunks", "%d, but size %d in chunks of %d makes %d", m.Chunks, m.Size, m.ChunkSize, want)
	}
	if len(m.ChunkSHA256) != m.Chunks {
		return field("chunk_sha256", "%d hashes for %d chunks", len(m.ChunkSHA256), m.Chunks)
	}
	for i, h := range m.ChunkSHA256 {
		if !isSHA256(h) {
			return field("chunk_sha256", "[%d] %q is not 64 lowercase hex digits", i, clip(h))
		}
	}
	return nil
}

// chunkLen is the length of chunk n.
func (m Meta) chunkLen(n int) int64 {
	return min(m.ChunkSize, m.Size-int64(n)*m.ChunkSize)
}

func chunkCount(size, chunk int64) int64 {
	n := size / chunk // not (size+chunk-1)/chunk: that overflows near MaxInt64
	if size%chunk != 0 {
		n++
	}
	return n
}

func isSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// clip shortens untrusted strings quoted in errors.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Topics of an artifact under prefix (e.g. "axle").
func metaTopic(prefix, sha string) string { return prefix + "/artifacts/" + sha + "/meta" }

func chunkTopic(prefix, sha string, n int) string {
	return fmt.Sprintf("%s/artifacts/%s/%d", prefix, sha, n)
}
