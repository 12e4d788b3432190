//go:build tflite

package runtimes

import (
	"os"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflitecgo"
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

// The tagged binary on a machine without libtensorflowlite_c: runtime
// tflite falls back to pure Go with the loader's reason; auto falls back
// silently, as in a binary without the tag. Runs without AXLE_TFLITE_DIR.
func TestFallbackWhenLibraryIsHidden(t *testing.T) {
	tb := Table{Go: Builtin().Go, C: tflitecgo.Runtime{Library: "/nonexistent/libtensorflowlite_c.so"}}
	m, used, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "tflite", Delegate: "xnnpack"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used.Runtime != "tflite-go" || used.Delegate != "none" || !strings.Contains(used.Fallback, "/nonexistent/libtensorflowlite_c.so") {
		t.Errorf("used %+v, want pure Go with the loader's reason", used)
	}
	runDemo(t, m)
	m, used, err = tb.Load(demomodel.TFLite(), models.Choice{Runtime: "auto"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used != (models.Used{Runtime: "tflite-go", Delegate: "none"}) {
		t.Errorf("auto: used %+v, want pure Go without a fallback note", used)
	}
	runDemo(t, m)
}
