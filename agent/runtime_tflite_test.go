//go:build tflite

package agent

import (
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/runtimes"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflitecgo"
)

// The demo pipeline end to end on the TFLite C runtime with XNNPACK:
// simulated pump, demo model, scores committed and published, and the
// retained status naming tflite-c and xnnpack.
func TestDemoOnTFLiteC(t *testing.T) {
	if os.Getenv("AXLE_TFLITE_DIR") == "" {
		t.Skip("AXLE_TFLITE_DIR is not set: the real-library tests need a libtensorflowlite_c build")
	}
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	var w statusWatch
	uplinktest.NewConsumer(t, b.URL(), "c-backend", w.handle, "axle/c-dev/status")
	yml := strings.Replace(pumpYAML(t, "c-dev", b.URL(), ""), "    hop: 250ms\n", "    hop: 250ms\n    runtime: tflite\n    delegate: xnnpack\n", 1)
	var mu sync.Mutex
	var scores []float64
	h := setupAgent(t, yml, Options{Runtimes: runtimes.Builtin(), OnScore: func(s fleet.Score) {
		mu.Lock()
		defer mu.Unlock()
		if s.Score != nil {
			scores = append(scores, *s.Score)
		}
	}})
	h.start(t)
	uplinktest.WaitFor(t, 60*time.Second, "five scores from the C runtime", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(scores) >= 5
	})
	uplinktest.WaitFor(t, 30*time.Second, "the model in the retained status", func() bool {
		return w.model("good").State == fleet.ModelActive
	})
	if m := w.model("good"); m.Runtime != "tflite-c" || m.Delegate != "xnnpack" {
		t.Errorf("status shows runtime %q delegate %q, want tflite-c and xnnpack", m.Runtime, m.Delegate)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			t.Errorf("score %g", s)
		}
	}
	if strings.Contains(h.log(), "fallback runtime") {
		t.Errorf("fell back:\n%s", h.log())
	}
}

// The tagged binary with the library hidden: the model asks for tflite
// with XNNPACK, the library cannot be opened, the demo scores on the
// pure-Go runtime, the fallback is logged once with the loader's reason
// and the status names tflite-go. Runs without AXLE_TFLITE_DIR.
func TestDemoFallsBackWhenLibraryIsHidden(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	var w statusWatch
	uplinktest.NewConsumer(t, b.URL(), "hid-backend", w.handle, "axle/hid-dev/status")
	yml := strings.Replace(pumpYAML(t, "hid-dev", b.URL(), ""), "    hop: 250ms\n", "    hop: 250ms\n    runtime: tflite\n    delegate: xnnpack\n", 1)
	var mu sync.Mutex
	n := 0
	hidden := runtimes.Table{Go: tflite.Runtime{}, C: tflitecgo.Runtime{Library: "/nonexistent/libtensorflowlite_c.so"}}
	h := setupAgent(t, yml, Options{Runtimes: hidden, OnScore: func(fleet.Score) {
		mu.Lock()
		n++
		mu.Unlock()
	}})
	h.start(t)
	uplinktest.WaitFor(t, 60*time.Second, "three scores on the fallback runtime", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return n >= 3
	})
	uplinktest.WaitFor(t, 30*time.Second, "the model in the retained status", func() bool {
		return w.model("good").State == fleet.ModelActive
	})
	if m := w.model("good"); m.Runtime != "tflite-go" || m.Delegate != "none" {
		t.Errorf("status shows runtime %q delegate %q, want tflite-go and none", m.Runtime, m.Delegate)
	}
	if c := strings.Count(h.log(), "model runs on a fallback runtime"); c != 1 || !strings.Contains(h.log(), "/nonexistent/libtensorflowlite_c.so") {
		t.Errorf("fallback logged %d times (want once, naming the library):\n%s", c, h.log())
	}
}
