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
