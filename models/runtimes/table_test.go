package runtimes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
)

// failingC stands in for the C runtime's failure modes, which the tagged
// tests exercise for real (a delegate library that is not there).
type failingC struct{ err error }

func (failingC) Name() string { return "tflite-c" }
func (f failingC) Load([]byte, models.Options) (models.Model, error) {
	return nil, f.err
}

// runDemo invokes the demo model on zeros and checks it produced a score.
func runDemo(t *testing.T, m models.Model) {
	t.Helper()
	defer m.Close()
	clear(m.Input(0))
	if err := m.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(m.Output(0)) == 0 {
		t.Fatal("no output")
	}
}

func TestGoRuntimeNeedsNoFallback(t *testing.T) {
	tb := Table{Go: tflite.Runtime{}}
	for _, c := range []models.Choice{{}, {Runtime: "go"}, {Runtime: "go", Delegate: "none"}, {Runtime: "auto"}, {Runtime: "auto", Delegate: "none"}} {
		m, used, err := tb.Load(demomodel.TFLite(), c, models.Options{})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if used != (models.Used{Runtime: "tflite-go", Delegate: "none"}) {
			t.Errorf("%+v: used %+v, want the pure-Go runtime without a fallback note", c, used)
		}
		runDemo(t, m)
	}
}

func TestFallbackWithoutCRuntime(t *testing.T) {
	tb := Table{Go: tflite.Runtime{}}
	for _, c := range []models.Choice{{Runtime: "tflite"}, {Runtime: "tflite", Delegate: "none"}, {Runtime: "auto", Delegate: "xnnpack"}, {Runtime: "auto", Delegate: "external:/opt/x.so;k=v"}} {
		m, used, err := tb.Load(demomodel.TFLite(), c, models.Options{})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if used.Runtime != "tflite-go" || !strings.Contains(used.Fallback, "-tags tflite") {
			t.Errorf("%+v: used %+v, want the pure-Go runtime and a reason naming the build tag", c, used)
		}
		runDemo(t, m)
	}
}

func TestFallbackWhenDelegateFails(t *testing.T) {
	tb := Table{Go: tflite.Runtime{}, C: failingC{fmt.Errorf("tflitecgo: edgetpu: %w: no Edge TPU found", models.ErrDelegate)}}
	m, used, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "tflite", Delegate: "edgetpu"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used.Runtime != "tflite-go" || used.Delegate != "none" || !strings.Contains(used.Fallback, "no Edge TPU found") {
		t.Errorf("used %+v, want pure Go with the delegate's error as reason", used)
	}
	runDemo(t, m)
}

func TestModelRefusedByC(t *testing.T) {
	refused := failingC{errors.New("tflitecgo: model: Didn't find op for builtin opcode")}
	tb := Table{Go: tflite.Runtime{}, C: refused}
	if _, _, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "tflite"}, models.Options{}); err == nil || !strings.Contains(err.Error(), "builtin opcode") {
		t.Errorf("runtime tflite: err %v, want the C runtime's error", err)
	}
	m, used, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "auto"}, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if used.Runtime != "tflite-go" || !strings.Contains(used.Fallback, "builtin opcode") {
		t.Errorf("runtime auto: used %+v, want pure Go with the C error as reason", used)
	}
	runDemo(t, m)
}

func TestBadChoiceAndBadModel(t *testing.T) {
	tb := Builtin()
	if _, _, err := tb.Load(demomodel.TFLite(), models.Choice{Runtime: "onnx"}, models.Options{}); err == nil || !strings.Contains(err.Error(), `runtime "onnx"`) {
		t.Errorf("err %v, want one naming the runtime", err)
	}
	if _, _, err := tb.Load([]byte("not a model"), models.Choice{Runtime: "tflite"}, models.Options{}); err == nil {
		t.Error("garbage loaded")
	}
}
