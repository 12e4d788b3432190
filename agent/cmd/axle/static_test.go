package main

import (
	"os/exec"
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
