package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// resultLog collects the results and events a backend sees.
type resultLog struct {
	mu      sync.Mutex
	results []fleet.Result
	col     collector
}

func (r *resultLog) handle(topic string, payload []byte) {
	if strings.HasSuffix(topic, "/result") {
		var res fleet.Result
		if err := strict(payload, &res); err != nil {
			r.col.mu.Lock()
			r.col.errs = append(r.col.errs, fmt.Sprintf("%s: bad result (%v): %s", topic, err, payload))
			r.col.mu.Unlock()
			return
		}
		r.mu.Lock()
		r.results = append(r.results, res)
		r.mu.Unlock()
		return
	}
	r.col.handle(topic, payload)
}

func (r *resultLog) byID(id string) []fleet.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []fleet.Result
	for _, res := range r.results {
		if res.ID == id {
			out = append(out, res)
		}
	}
	return out
}

// TestCommands drives the agent from the fleet side over a real broker:
// every command gets exactly one result, malformed, expired and unknown
// ones are rejected with the reason, a repeated id is ignored, and
// sim.fault injects a bearing fault that the model turns into an alarm.
func TestCommands(t *testing.T) {
	t.Parallel()
	addr := testBroker(t)
	url := "tcp://" + addr

	// The scheduled fault is an hour away: only the command can raise the alarm.
	cfg := pumpConfig(t, "cmd-pump", addr, 5, time.Hour, 10*time.Second)
	var backend resultLog
	cons := uplinktest.NewConsumer(t, url, "cmd-backend", backend.handle, "axle/cmd-pump/#")

	startAgent(t, cfg)
	// A first score means the agent is subscribed and running.
	uplinktest.WaitFor(t, 30*time.Second, "a first score", func() bool {
		backend.col.mu.Lock()
		defer backend.col.mu.Unlock()
		return len(backend.col.scores) > 0
	})

	exp := time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)
	send := func(topic, payload string) {
		cons.Publish(t, topic, false, []byte(payload))
	}
	send("axle/cmd-pump/cmd", `{"v":1,"id":"p1","verb":"ping","expires_at":"`+exp+`"}`)
	send("axle/all/cmd", `{"v":1,"id":"p1","verb":"ping","expires_at":"`+exp+`"}`) // repeated id
	send("axle/cmd-pump/cmd", `{"v":1,"id":"old","verb":"ping","expires_at":"2020-01-01T00:00:00Z"}`)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"extra","verb":"ping","expires_at":"`+exp+`","force":true}`)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"nope","verb":"reboot","expires_at":"`+exp+`"}`)
	far := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"far","verb":"ping","expires_at":"`+far+`"}`)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"f-bad","verb":"sim.fault","args":{"sensor":"fan","kind":"imbalance","severity":1},"expires_at":"`+exp+`"}`)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"f-args","verb":"sim.fault","args":{"sensor":"pump","kind":"imbalance","ramp":"soon"},"expires_at":"`+exp+`"}`)
	send("axle/cmd-pump/cmd", `{"v":1,"id":"f1","verb":"sim.fault","args":{"sensor":"pump","kind":"bearing_outer","severity":1},"expires_at":"`+exp+`"}`)

	want := map[string]struct{ status, errPart string }{
		"p1":     {fleet.ResultDone, ""},
		"old":    {fleet.ResultRejected, "expired"},
		"extra":  {fleet.ResultRejected, `unknown field "force"`},
		"nope":   {fleet.ResultRejected, "reboot is not supported"},
		"far":    {fleet.ResultRejected, "more than commands.max_expiry (24h0m0s) ahead"},
		"f-bad":  {fleet.ResultFailed, `no sensor "fan"`},
		"f-args": {fleet.ResultRejected, "args.ramp"},
		"f1":     {fleet.ResultDone, ""},
	}
	uplinktest.WaitFor(t, 20*time.Second, "a result for every command", func() bool {
		for id := range want {
			if len(backend.byID(id)) == 0 {
				return false
			}
		}
		return true
	})
	uplinktest.WaitFor(t, 60*time.Second, "the alarm from the injected bearing fault", backend.col.alarmed)

	backend.col.mu.Lock()
	if len(backend.col.errs) > 0 {
		t.Errorf("invalid payloads:\n%s", strings.Join(backend.col.errs, "\n"))
	}
	backend.col.mu.Unlock()
	for id, w := range want {
		rs := backend.byID(id)
		if len(rs) != 1 {
			t.Errorf("command %s got %d results, want exactly one: %+v", id, len(rs), rs)
			continue
		}
		r := rs[0]
		if r.Status != w.status || !strings.Contains(r.Error, w.errPart) || r.Seq == 0 {
			t.Errorf("command %s: result %+v, want status %s with error containing %q", id, r, w.status, w.errPart)
		}
	}
	if r := backend.byID("p1"); len(r) == 1 && (r[0].Result["device"] != "cmd-pump" || r[0].Result["agent"] != "test") {
		t.Errorf("ping result %+v", r[0].Result)
	}
	if b, _ := json.Marshal(backend.byID("f1")); !bytes.Contains(b, []byte(`"kind":"bearing_outer"`)) {
		t.Errorf("sim.fault result %s does not echo the fault", b)
	}
}

// TestRepeatedCommandAfterRestart sends a command, restarts the agent on the
// same state directory (a real stop and a new setup), and delivers the same
// id again, as a broker redelivering an unacknowledged QoS 1 message would:
// the command is not run again and gets no second result.
func TestRepeatedCommandAfterRestart(t *testing.T) {
	t.Parallel()
	addr := testBroker(t)
	cfg := pumpConfig(t, "restart-pump", addr, 7, time.Hour, 10*time.Second)
	var backend resultLog
	cons := uplinktest.NewConsumer(t, "tcp://"+addr, "restart-backend", backend.handle, "axle/restart-pump/#")
	statuses := func() int {
		backend.col.mu.Lock()
		defer backend.col.mu.Unlock()
		n := 0
		for _, s := range backend.col.status {
			if s.State == fleet.StateOnline {
				n++
			}
		}
		return n
	}
	exp := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	once := `{"v":1,"id":"once","verb":"ping","expires_at":"` + exp + `"}`

	stop := runAgent(t, cfg)
	uplinktest.WaitFor(t, 30*time.Second, "the first agent online", func() bool { return statuses() >= 1 })
	cons.Publish(t, "axle/restart-pump/cmd", false, []byte(once))
	uplinktest.WaitFor(t, 20*time.Second, "the result of the first delivery", func() bool { return len(backend.byID("once")) == 1 })
	stop()

	// Same config, same state directory: a restarted daemon.
	runAgent(t, cfg)
	uplinktest.WaitFor(t, 30*time.Second, "the restarted agent online", func() bool { return statuses() >= 2 })
	cons.Publish(t, "axle/restart-pump/cmd", false, []byte(once))
	// Commands are answered in order through the outbox: once the marker's
	// result is here, a second result for "once" would be too.
	cons.Publish(t, "axle/restart-pump/cmd", false, []byte(`{"v":1,"id":"marker","verb":"ping","expires_at":"`+exp+`"}`))
	uplinktest.WaitFor(t, 20*time.Second, "the marker's result", func() bool { return len(backend.byID("marker")) == 1 })
	if rs := backend.byID("once"); len(rs) != 1 {
		t.Fatalf("command %q got %d results across a restart, want 1: %+v", "once", len(rs), rs)
	}
}

// runAgent sets up and runs an agent on cfg; stop (also run at cleanup,
// once) cancels it and waits until it has stopped and closed its files.
func runAgent(t *testing.T, cfg *config.Config) (stop func()) {
	t.Helper()
	opts := Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Drivers: drivers.All(),
		Runtime: tflite.Runtime{}, BuiltinModels: map[string][]byte{"demo": demomodel.TFLite()}, Version: "test"}
	a, err := setup(context.Background(), opts)
	if err != nil {
		t.Fatalf("agent setup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("agent did not stop within 20 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
