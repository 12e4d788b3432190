package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"
)

// pumpYAML is a real-time simulated pump feeding the demo model from two
// slots: "good" (the builtin) and "late" (lateFile, which may be missing).
func pumpYAML(t *testing.T, device, broker, lateFile string) string {
	info := demomodel.Info()
	model := func(name, file string) string {
		return fmt.Sprintf(`  - name: %s
    version: "%s"
    file: %q
    sensor: pump
    window: %s
    hop: 250ms
    channels: [%s]
    features: [%s]
    thresholds: {warn: %g, alarm: %g, raise: 2, clear: 3}
`, name, info.Version, file, info.Window, strings.Join(info.Channels, ", "), strings.Join(info.Features, ", "), info.Warn, info.Alarm)
	}
	text := fmt.Sprintf(`device: %s
state_dir: %q
mqtt: {broker: %q}
sensors:
  - name: pump
    driver: sim
    rate: %g
    options: {seed: 7, realtime: true}
models:
`, device, t.TempDir(), broker, info.Rate) + model("good", "builtin:demo")
	if lateFile != "" {
		text += model("late", lateFile)
	}
	return text
}

// statusWatch keeps the last retained status of one device.
type statusWatch struct {
	mu     sync.Mutex
	last   fleet.Status
	n      int
	events []fleet.Event
	errs   []string
}

func (w *statusWatch) handle(topic string, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case strings.HasSuffix(topic, "/status"):
		var s fleet.Status
		if err := strict(payload, &s); err != nil {
			w.errs = append(w.errs, fmt.Sprintf("bad status %s: %v", payload, err))
			return
		}
		w.last, w.n = s, w.n+1
	case strings.HasSuffix(topic, "/events"):
		var e fleet.Event
		if err := json.Unmarshal(payload, &e); err != nil {
			w.errs = append(w.errs, fmt.Sprintf("bad event %s: %v", payload, err))
			return
		}
		w.events = append(w.events, e)
	}
}

func (w *statusWatch) status() (fleet.Status, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, w.n
}

func (w *statusWatch) model(name string) fleet.ModelStatus {
	s, _ := w.status()
	for _, m := range s.Models {
		if m.Name == name {
			return m
		}
	}
	return fleet.ModelStatus{}
}

func (w *statusWatch) modelEvent(state string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		if e.Kind == fleet.EventModel && e.Source == "late" && e.Data["state"] == state {
			return true
		}
	}
	return false
}

// A clean stop leaves the retained status offline with the stop's reason:
// a consumer that subscribes only after the stop reads it. (Before, the
// offline status was sent after DISCONNECT, and the clean DISCONNECT
// discarded the will, so the status stayed online.)
func TestStopLeavesOfflineStatusWithReason(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	var before statusWatch
	uplinktest.NewConsumer(t, b.URL(), "stop-before", before.handle, "axle/stop-dev/status")
	h := setupAgent(t, pumpYAML(t, "stop-dev", b.URL(), ""), Options{})
	if will := h.a.status(fleet.StateOffline); will.Reason != fleet.ReasonLost {
		t.Errorf("will reason %q, want %q", will.Reason, fleet.ReasonLost)
	}
	h.start(t)
	uplinktest.WaitFor(t, 30*time.Second, "the online status", func() bool {
		s, _ := before.status()
		return s.State == fleet.StateOnline
	})

	h.stop(t, errors.New("terminated signal received"))

	var after statusWatch
	uplinktest.NewConsumer(t, b.URL(), "stop-after", after.handle, "axle/stop-dev/status")
	uplinktest.WaitFor(t, 10*time.Second, "a retained status for a fresh subscriber", func() bool {
		_, n := after.status()
		return n > 0
	})
	s, _ := after.status()
	if s.State != fleet.StateOffline || s.Reason != "stopped: terminated signal received" {
		t.Fatalf("retained status after a clean stop: state %q reason %q, want offline with the stop reason", s.State, s.Reason)
	}
	if len(after.errs) > 0 {
		t.Fatal(after.errs)
	}
}

// A model whose file is missing does not take the agent down: the other
// model on the same sensor scores, the retained status shows the missing
// one failed with the reason and an event says so; once the file is
// written, the agent loads it and it scores too, without a restart.
func TestMissingModelFailsAloneAndRecovers(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	var w statusWatch
	uplinktest.NewConsumer(t, b.URL(), "model-backend", w.handle, "axle/model-dev/status", "axle/model-dev/events")
	late := filepath.Join(t.TempDir(), "late.tflite")
	h := setupAgent(t, pumpYAML(t, "model-dev", b.URL(), late), Options{ModelPoll: 50 * time.Millisecond})
	good, lateR := h.a.pipes[0].runners[0], h.a.pipes[0].runners[1]
	h.start(t)

	uplinktest.WaitFor(t, 30*time.Second, "the good model scoring", func() bool { return good.windows.Load() >= 3 })
	if n := lateR.windows.Load(); n != 0 {
		t.Fatalf("the missing model scored %d windows", n)
	}
	uplinktest.WaitFor(t, 10*time.Second, "a status showing the missing model failed", func() bool {
		return w.model("late").State == fleet.ModelFailed && w.model("good").State == fleet.ModelActive
	})
	if m := w.model("late"); !strings.Contains(m.Error, late) || !strings.Contains(m.Error, "no such file") {
		t.Errorf("failed model's error %q does not name the file and the cause", m.Error)
	}
	uplinktest.WaitFor(t, 10*time.Second, "a model event for the failure", func() bool { return w.modelEvent(fleet.ModelFailed) })

	// Written aside and renamed, as an operator's copy tool would.
	tmp := late + ".tmp"
	if err := os.WriteFile(tmp, demomodel.TFLite(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, late); err != nil {
		t.Fatal(err)
	}
	uplinktest.WaitFor(t, 30*time.Second, "the fixed model scoring", func() bool { return lateR.windows.Load() >= 2 })
	if cur := lateR.Current(); cur.State != fleet.ModelActive || cur.Err != "" {
		t.Errorf("slot after the fix: %+v", cur)
	}
	uplinktest.WaitFor(t, 10*time.Second, "a status showing the model active", func() bool {
		return w.model("late").State == fleet.ModelActive && w.model("late").Error == ""
	})
	uplinktest.WaitFor(t, 10*time.Second, "a model event for the recovery", func() bool { return w.modelEvent(fleet.ModelActive) })
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.errs) > 0 {
		t.Fatal(w.errs)
	}
}

// A failing setup returns its error; it used to panic in the deferred
// cleanup, which ran on the nil *Agent the error return had set.
func TestSetupFailureReturnsErrorWithoutPanic(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("test.yaml", []byte(pumpYAML(t, "bad-dev", "tcp://127.0.0.1:1", "")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sensors[0].Driver = "no-such-driver"
	_, err = setup(context.Background(), Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Drivers: drivers.All(), Runtime: tflite.Runtime{}})
	if err == nil || !strings.Contains(err.Error(), `unknown driver "no-such-driver"`) {
		t.Fatalf("setup error = %v, want one naming the unknown driver", err)
	}
}
