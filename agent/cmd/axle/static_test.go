package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultBuildHasNoCgo keeps the default binary static and
// cross-compilable: no non-standard package it links may use cgo (the
// standard library has pure-Go fallbacks for net and os/user). The cgo
// TFLite runtime lives behind the "tflite" build tag.
func TestDefaultBuildHasNoCgo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if and .CgoFiles (not .Standard)}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if pkgs := strings.TrimSpace(string(out)); pkgs != "" {
		t.Fatalf("packages with cgo in the default build:\n%s", pkgs)
	}
}

// TestDefaultBuildLinksWithoutCgo builds the binary with CGO_ENABLED=0, as
// make cross does for every target.
func TestDefaultBuildLinksWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "axle"), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}

// TestTFLiteTagAddsTheCRuntime checks the other side of the build tag:
// with -tags tflite the binary does get the cgo runtime (go list needs no
// C headers or library).
func TestTFLiteTagAddsTheCRuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "tflite", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/axle-edge/axle/models/tflitecgo\n") {
		t.Fatal("-tags tflite does not link models/tflitecgo")
	}
}
