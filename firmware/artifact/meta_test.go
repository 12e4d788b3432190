package artifact

import (
	"encoding/json"
	"strings"
	"testing"
)

func validMetaJSON() []byte {
	h := strings.Repeat("ab", 32)
	return []byte(`{"v":1,"sha256":"` + h + `","size":5,"chunk_size":2,"chunks":3,"chunk_sha256":["` + h + `","` + h + `","` + h + `"],"name":"m","created":"2026-01-02T03:04:05Z"}`)
}

func TestDecodeMetaRejects(t *testing.T) {
	good := string(validMetaJSON())
	if _, err := DecodeMeta([]byte(good)); err != nil {
		t.Fatalf("valid meta: %v", err)
	}
	cases := []struct{ name, in, want string }{
		{"unknown field", strings.Replace(good, `"name"`, `"nmae"`, 1), "unknown field"},
		{"trailing", good + "{}", "trailing data"},
		{"version", strings.Replace(good, `"v":1`, `"v":2`, 1), `field "v"`},
		{"sha", strings.Replace(good, `"sha256":"ab`, `"sha256":"AB`, 1), `field "sha256"`},
		{"size", strings.Replace(good, `"size":5`, `"size":-5`, 1), `field "size"`},
		{"chunk size", strings.Replace(good, `"chunk_size":2`, `"chunk_size":262145`, 1), `field "chunk_size"`},
		{"chunks", strings.Replace(good, `"chunks":3`, `"chunks":2`, 1), `field "chunks"`},
		{"hash count", strings.Replace(good, `"chunk_sha256":["`, `"chunk_sha256":["`+strings.Repeat("cd", 32)+`","`, 1), `field "chunk_sha256"`},
		{"not json", "{", "meta"},
		{"too big", strings.Repeat(" ", MaxMetaBytes+1), "limit"},
	}
	for _, c := range cases {
		_, err := DecodeMeta([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(validMetaJSON())
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":1,"sha256":"","size":9223372036854775807,"chunk_size":1,"chunks":0,"chunk_sha256":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		// Whatever is accepted is consistent and survives a round trip.
		if int64(m.Chunks) != chunkCount(m.Size, m.ChunkSize) || len(m.ChunkSHA256) != m.Chunks {
			t.Fatalf("accepted inconsistent meta %+v", m)
		}
		js, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeMeta(js); err != nil {
			t.Fatalf("re-decode of accepted meta: %v", err)
		}
	})
}
