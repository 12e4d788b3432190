package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bundleFor is the deterministic content of a version: 8 to 136 KiB
// derived from its name, so any process can recompute and check it.
func bundleFor(version string) []byte {
	h := fnv.New64a()
	h.Write([]byte(version))
	seed := h.Sum64()
	n := 8<<10 + int(seed%(128<<10))
	b := make([]byte, n)
	x := seed | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func openStore(t *testing.T, root string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), root, opts)
	if err != nil {
		t.Fatalf("open %s: %v", root, err)
	}
	return s
}

func install(t *testing.T, s *Store, name, version string) Version {
	t.Helper()
	b := bundleFor(version)
	v, err := s.Install(context.Background(), name, version, strings.NewReader(string(b)), sumOf(b), InstallOptions{})
	if err != nil {
		t.Fatalf("install %s %s: %v", name, version, err)
	}
	return v
}

func activate(t *testing.T, s *Store, name, version string, probation bool) {
	t.Helper()
	if err := s.Activate(context.Background(), name, version, ActivateOptions{Probation: probation}); err != nil {
		t.Fatalf("activate %s %s: %v", name, version, err)
	}
}

func wantPointer(t *testing.T, s *Store, name string, want Pointer) {
	t.Helper()
	p, err := s.Active(name)
	if err != nil {
		t.Fatal(err)
	}
	if p != want {
		t.Fatalf("model %s pointer %+v, want %+v", name, p, want)
	}
}

func stateOf(t *testing.T, s *Store, name, version string) Meta {
	t.Helper()
	m, err := s.readMeta(name, version)
	if err != nil {
		t.Fatalf("meta of %s %s: %v", name, version, err)
	}
	return m
}

// checkBundle asserts the version's bundle file holds bundleFor(version).
func checkBundle(t *testing.T, s *Store, name, version string) {
	t.Helper()
	b, err := os.ReadFile(s.Path(name, version))
	if err != nil {
		t.Fatalf("%s %s: %v", name, version, err)
	}
	if want := bundleFor(version); string(b) != string(want) {
		t.Fatalf("%s %s: bundle of %d bytes differs from the %d installed", name, version, len(b), len(want))
	}
}

// tempEntries lists every ".tmp-" entry left anywhere under root.
func tempEntries(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
