package testtool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/axle-edge/axle/internal/reexec"
)

func TestFindPrefersGivenPath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(t, "no-such-program-axle", "none", filepath.Join(dir, "missing"), p); got != p {
		t.Fatalf("Find = %q, want %q", got, p)
	}
}

func TestFindOnPath(t *testing.T) {
	if got := Find(t, "sh", "dash"); got == "" {
		t.Fatal("Find(sh) returned nothing")
	}
}

func TestRequired(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true} {
		t.Setenv("CI", v)
		if got := Required(); got != want {
			t.Errorf("CI=%q: Required() = %v, want %v", v, got, want)
		}
	}
}

// TestMissingToolFailsUnderCI runs a child test that looks for a program
// that does not exist, with and without CI, and checks skip versus fail.
func TestMissingToolFailsUnderCI(t *testing.T) {
	if os.Getenv("TESTTOOL_CHILD") == "1" {
		Find(t, "no-such-program-axle", "none")
		return
	}
	for _, ci := range []string{"", "true"} {
		cmd := reexec.Command("-test.run=^TestMissingToolFailsUnderCI$")
		cmd.Env = append(os.Environ(), "TESTTOOL_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "" && err != nil:
			t.Errorf("without CI the child failed (want skip): %v\n%s", err, out)
		case ci == "true" && err == nil:
			t.Errorf("under CI the child passed (want failure):\n%s", out)
		}
	}
}
