package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/drivers"
)

// runHarness is one agent under test with a handle on its stop, for tests
// that must set the agent up before it runs (hooks) or stop it themselves.
type runHarness struct {
	a      *Agent
	cancel context.CancelCauseFunc
	done   chan error
	log    func() string
}

// setupAgent parses yamlText and sets the agent up (not running yet).
func setupAgent(t testing.TB, yamlText string, opts Options) *runHarness {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var buf bytes.Buffer
	var mu sync.Mutex
	opts.Config = cfg
	opts.Logger = slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if opts.Drivers == nil {
		opts.Drivers = drivers.All()
	}
	opts.Runtime = tflite.Runtime{}
	opts.BuiltinModels = map[string][]byte{"demo": demomodel.TFLite()}
	opts.Version = "test"
	a, err := setup(context.Background(), opts)
	if err != nil {
		t.Fatalf("agent setup: %v", err)
	}
	return &runHarness{a: a, done: make(chan error, 1), log: func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}}
}

// start runs the agent; the test's cleanup stops it if the test did not.
func (h *runHarness) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.a.run(ctx) }()
	t.Cleanup(func() {
		h.stop(t, fmt.Errorf("test ended"))
		if t.Failed() {
			t.Logf("agent log:\n%s", h.log())
		}
	})
}

// stop stops the agent with cause and waits for run to return (once).
func (h *runHarness) stop(t testing.TB, cause error) {
	t.Helper()
	if h.done == nil {
		return
	}
	h.cancel(cause)
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("agent did not stop within 20 s")
	}
	h.done = nil
}

// onlyDriver is a driver table holding one test driver.
func onlyDriver(name string, open sensors.Opener) map[string]sensors.Opener {
	return map[string]sensors.Opener{name: open}
}
