package store

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// The audit log is read back from disk, where a crash or a bad disk may
// have damaged it: the reader returns entries or an error, never panics,
// and never returns more entries than there are complete lines.
func FuzzReadHistory(f *testing.F) {
	f.Add([]byte(`{"time":"2026-01-01T00:00:00Z","model":"m","version":"1","action":"install","key_id":"K","lineage":{"a":1}}` + "\n"))
	f.Add([]byte(`{"model":"m","action":"gate"}` + "\n" + `{"model":"m","act`))
	f.Add([]byte("\n\n"))
	f.Add([]byte(`{"model":"m","details":{"x":[1,2,{"y":null}]}}` + "\n" + "}{\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readEntries(bytes.NewReader(data), Filter{}, nil)
		if err == nil && len(got) > bytes.Count(data, []byte{'\n'}) {
			t.Fatalf("%d entries from %d lines", len(got), bytes.Count(data, []byte{'\n'}))
		}
	})
}

// Names arrive from the network and become directory names: an accepted
// name is always exactly one path element that is not a temp entry.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"1.2.3", "..", "a/b", ".tmp-1", "a\\b", "v1+x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidName(s) != nil {
			return
		}
		if filepath.Base(s) != s || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") ||
			strings.HasPrefix(s, tmpPrefix) || strings.HasPrefix(s, ".") || len(s) > maxNameLen {
			t.Fatalf("ValidName accepted %q", s)
		}
		if filepath.Join("root", s, "versions") != "root/"+s+"/versions" {
			t.Fatalf("%q changes the path it is joined into", s)
		}
	})
}

// active.json and meta.json are read from disk and name paths: whatever
// is accepted has valid names, a known state and a well-formed hash.
func FuzzParsePointerAndMeta(f *testing.F) {
	f.Add([]byte(`{"active":"2","previous":"1","probation":true}`))
	f.Add([]byte(`{"active":"../x"}`))
	f.Add([]byte(`{"sha256":"` + strings.Repeat("a", 64) + `","size":3,"installed_at":"2026-01-01T00:00:00Z","state":"active"}`))
	f.Add([]byte(`{"active":"2"} x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := parsePointer(data); err == nil {
			if p.Active != "" && ValidName(p.Active) != nil || p.Previous != "" && ValidName(p.Previous) != nil {
				t.Fatalf("accepted pointer %+v with an invalid name", p)
			}
			if p.Active == "" && p != (Pointer{}) {
				t.Fatalf("accepted pointer %+v without an active version", p)
			}
		}
		if m, err := parseMeta(data); err == nil {
			if !m.State.valid() || m.Size < 0 || checkSHA256(m.SHA256) != nil {
				t.Fatalf("accepted meta %+v", m)
			}
		}
	})
}
