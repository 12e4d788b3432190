//go:build tflite

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestModelRuntimeFlagsWithC(t *testing.T) {
	if os.Getenv("AXLE_TFLITE_DIR") == "" {
		t.Skip("AXLE_TFLITE_DIR is not set: the real-library tests need a libtensorflowlite_c build")
	}
	path := modelTestFile(t)
	code, out, errs := modelRunCLI("describe", path, "--runtime", "tflite", "--delegate", "xnnpack")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		Runtime, Delegate, Fallback string
		Inputs                      []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Runtime != "tflite-c" || d.Delegate != "xnnpack" || d.Fallback != "" || len(d.Inputs) != 2 {
		t.Errorf("describe: %+v", d)
	}
	code, _, errs = modelRunCLI("run", path, "--runtime", "tflite", "--subgraph", "0", "--in", path, "--in", path, "--out-dir", t.TempDir())
	if code == 0 || !strings.Contains(errs, "--subgraph needs the pure-Go runtime") {
		t.Errorf("run --subgraph on C: exit %d, %s", code, errs)
	}
}
