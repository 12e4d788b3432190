package config

import (
	"errors"
	"strings"
	"testing"
)

// The model keys runtime and delegate are validated like every key: file,
// line, key path and what was wrong.
func TestModelRuntimeAndDelegate(t *testing.T) {
	at := "    thresholds: {warn: 1, alarm: 2}\n"
	cases := []struct{ add, want string }{
		{"    runtime: onnx\n", `axle.yaml:26: models[0].runtime: runtime "onnx": want go, tflite or auto`},
		{"    runtime: tflite\n    delegate: npu\n", `axle.yaml:27: models[0].delegate: delegate "npu": want none, xnnpack`},
		{"    runtime: go\n    delegate: xnnpack\n", `axle.yaml:27: models[0].delegate: delegate "xnnpack" needs runtime tflite or auto`},
		{"    delegate: external:libvx.so\n", `axle.yaml:26: models[0].delegate: delegate "external:libvx.so": the external delegate library must be an absolute path`},
	}
	for _, tc := range cases {
		_, err := Parse("axle.yaml", []byte(strings.Replace(good, at, at+tc.add, 1)))
		var ce *Error
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want prefix %q", tc.add, err, tc.want)
		}
	}
	c, err := Parse("axle.yaml", []byte(strings.Replace(good, at, at+"    runtime: auto\n    delegate: external:/usr/lib/libvx_delegate.so;cache=/tmp/c\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Models[0]; m.Runtime != "auto" || m.Delegate != "external:/usr/lib/libvx_delegate.so;cache=/tmp/c" {
		t.Errorf("got runtime %q delegate %q", m.Runtime, m.Delegate)
	}
}
