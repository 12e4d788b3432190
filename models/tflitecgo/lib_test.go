//go:build tflite

package tflitecgo

import (
	"os"
	"path/filepath"
	"testing"
)

// requireLib skips unless AXLE_TFLITE_DIR names the libtensorflowlite_c
// build the test binary was linked against (make test-tflite sets the cgo
// flags from it). A set but broken dir fails under CI=true.
func requireLib(t testing.TB) {
	t.Helper()
	dir := os.Getenv("AXLE_TFLITE_DIR")
	if dir == "" {
		t.Skip("AXLE_TFLITE_DIR is not set: the real-library tests need a libtensorflowlite_c build (lib/ and include/); see docs/delegates.md")
	}
	for _, f := range []string{"lib/libtensorflowlite_c.so", "include/tensorflow/lite/c/c_api.h"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("AXLE_TFLITE_DIR=%s is broken: %v", dir, err)
			}
			t.Skipf("AXLE_TFLITE_DIR=%s is broken: %v", dir, err)
		}
	}
}
