package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/runtimes"
)

// A model that asks for the C runtime with a delegate that cannot start
// runs on the pure-Go runtime: the agent logs that once (although the
// model is loaded more than once), and the retained status and the
// metrics name the runtime actually used. Without -tags tflite the C
// runtime is missing altogether; with it, the delegate library is.
func TestRuntimeFallbackIsLoggedOnceAndReported(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	var w statusWatch
	uplinktest.NewConsumer(t, b.URL(), "rt-backend", w.handle, "axle/rt-dev/status")
	yml := strings.Replace(pumpYAML(t, "rt-dev", b.URL(), ""), "    hop: 250ms\n",
		"    hop: 250ms\n    runtime: tflite\n    delegate: external:/nonexistent/libaxle-no-delegate.so\n", 1)
	h := setupAgent(t, yml, Options{Runtimes: runtimes.Builtin()})
	h.start(t)
	uplinktest.WaitFor(t, 30*time.Second, "the model in the retained status", func() bool {
		return w.model("good").State == fleet.ModelActive
	})
	if m := w.model("good"); m.Runtime != "tflite-go" || m.Delegate != "none" {
		t.Errorf("status shows runtime %q delegate %q, want tflite-go and none", m.Runtime, m.Delegate)
	}
	v := h.a.selfMetrics().Values
	if v["model_good_runtime_fallback"] != 1 || v["model_good_runtime_tflite-go_delegate_none"] != 1 {
		t.Errorf("metrics: fallback %v, runtime key %v", v["model_good_runtime_fallback"], v["model_good_runtime_tflite-go_delegate_none"])
	}
	// Predict loads its own instance of the model: same fallback, no new log line.
	if _, err := h.a.Predict(context.Background(), "good", [][]float32{make([]float32, h.a.runners()[0].obs.pub.Load().in.Elements())}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h.log(), "model runs on a fallback runtime"); n != 1 {
		t.Errorf("fallback logged %d times, want once:\n%s", n, h.log())
	}
	if !strings.Contains(h.log(), "libaxle-no-delegate.so") && !strings.Contains(h.log(), "-tags tflite") {
		t.Errorf("the log line does not say why:\n%s", h.log())
	}
}
