//go:build !tflite

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Without -tags tflite, --runtime tflite runs on the pure-Go runtime and
// says so, on stderr and in the JSON.
func TestModelRuntimeFlagsFallBackWithoutTag(t *testing.T) {
	path := modelTestFile(t)
	for _, cmd := range [][]string{{"describe", path}, {"bench", path, "--count", "2"}} {
		code, out, errs := modelRunCLI(append(cmd, "--runtime", "tflite", "--delegate", "xnnpack")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cmd[0], code, errs)
		}
		var d struct{ Runtime, Delegate, Fallback string }
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%s: %v\n%s", cmd[0], err, out)
		}
		if d.Runtime != "tflite-go" || d.Delegate != "none" || !strings.Contains(d.Fallback, "-tags tflite") {
			t.Errorf("%s: runtime %q delegate %q fallback %q", cmd[0], d.Runtime, d.Delegate, d.Fallback)
		}
		if !strings.Contains(errs, "runs on the pure-Go runtime") {
			t.Errorf("%s: stderr %q does not tell about the fallback", cmd[0], errs)
		}
	}
}

func TestModelRuntimeFlagsValidated(t *testing.T) {
	path := modelTestFile(t)
	cases := map[string][]string{
		`runtime "onnx"`:               {"describe", path, "--runtime", "onnx"},
		"needs runtime tflite or auto": {"bench", path, "--delegate", "edgetpu"},
	}
	for want, args := range cases {
		code, _, errs := modelRunCLI(args...)
		if code == 0 || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", args, code, errs, want)
		}
	}
}
