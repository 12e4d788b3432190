package models

import (
	"strings"
	"testing"
)

func TestParseChoice(t *testing.T) {
	good := map[[2]string]Choice{
		{"", ""}:                         {"go", "auto"},
		{"tflite", ""}:                   {"tflite", "auto"},
		{"auto", "xnnpack"}:              {"auto", "xnnpack"},
		{"tflite", "edgetpu"}:            {"tflite", "edgetpu"},
		{"tflite", "gpu"}:                {"tflite", "gpu"},
		{"go", "none"}:                   {"go", "none"},
		{"tflite", "external:/a/b.so"}:   {"tflite", "external:/a/b.so"},
		{"tflite", "external:/a.so;x=1"}: {"tflite", "external:/a.so;x=1"},
	}
	for in, want := range good {
		got, err := ParseChoice(in[0], in[1])
		if err != nil || got != want {
			t.Errorf("ParseChoice(%q, %q) = %+v, %v; want %+v", in[0], in[1], got, err, want)
		}
	}
	bad := map[[2]string]string{
		{"onnx", ""}:                 `runtime "onnx"`,
		{"tflite", "npu"}:            `delegate "npu"`,
		{"go", "xnnpack"}:            "needs runtime tflite or auto",
		{"tflite", "external:x.so"}:  "absolute path",
		{"tflite", "external:/x;=1"}: `option "=1"`,
	}
	for in, want := range bad {
		if _, err := ParseChoice(in[0], in[1]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseChoice(%q, %q): err %v, want one containing %q", in[0], in[1], err, want)
		}
	}
}

func TestParseExternal(t *testing.T) {
	p, o, err := ParseExternal("external:/usr/lib/libvx_delegate.so;cache_file_path=/tmp/c;allowed_cache_mode=true")
	if err != nil || p != "/usr/lib/libvx_delegate.so" || len(o) != 2 || o[1] != [2]string{"allowed_cache_mode", "true"} {
		t.Fatalf("got %q %v %v", p, o, err)
	}
}

// FuzzParseChoice: the runtime and delegate come from manifests and
// configs; parsing never panics, and what it accepts parses again to the
// same choice.
func FuzzParseChoice(f *testing.F) {
	f.Add("tflite", "external:/usr/lib/libvx_delegate.so;a=b;c=")
	f.Add("auto", "xnnpack")
	f.Add("go", "")
	f.Add("", "external:;=")
	f.Fuzz(func(t *testing.T, runtime, delegate string) {
		c, err := ParseChoice(runtime, delegate)
		if err != nil {
			return
		}
		again, err := ParseChoice(c.Runtime, c.Delegate)
		if err != nil || again != c {
			t.Fatalf("%+v parses to %+v, %v", c, again, err)
		}
	})
}
