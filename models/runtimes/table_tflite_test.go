//go:build tflite

package runtimes

import (
	"os"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
)

// With the tag the table has the C runtime; a delegate library that is
// not there falls back to the pure-Go runtime, with dlopen's reason.
func TestBuiltinHasCRuntime(t *testing.T) {
	if os.Getenv("AXLE_TFLITE_DIR") == "" {
		t.Skip("AXLE_TFLITE_DIR is not set: the real-library tests need a libtensorflowlite_c build")
	}
	tb := Builtin()
	if !tb.HasC() {
		t.Fatal("no C runtime with -tags tflite")
	}
	m, used, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "tflite", Delegate: "none"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used != (models.Used{Runtime: "tflite-c", Delegate: "none"}) {
		t.Errorf("used %+v", used)
	}
	runDemo(t, m)
	m, used, err = tb.Load(demomodel.TFLite(), models.Choice{Runtime: "auto"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used.Runtime != "tflite-c" || used.Delegate != "xnnpack" || used.Fallback != "" {
		t.Errorf("auto: used %+v, want tflite-c with xnnpack", used)
	}
	runDemo(t, m)
	m, used, err = tb.Load(demomodel.TFLite(), models.Choice{Runtime: "tflite", Delegate: "external:/nonexistent/libaxle-none.so"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used.Runtime != "tflite-go" || !strings.Contains(used.Fallback, "libaxle-none.so") {
		t.Errorf("missing delegate: used %+v, want the pure-Go runtime and dlopen's reason", used)
	}
	runDemo(t, m)
}
