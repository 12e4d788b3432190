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
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/drivers"
	"gopkg.in/yaml.v3"
)

// pumpConfig is the demo's setup built as a struct: the demo model on a
// real-time simulated pump whose bearing fault starts after faultAt of
// machine time and grows over ramp.
func pumpConfig(t *testing.T, device, brokerAddr string, seed int, faultAt, ramp time.Duration) *config.Config {
	t.Helper()
	info := demomodel.Info()
	window, err := time.ParseDuration(info.Window)
	if err != nil {
		t.Fatal(err)
	}
	var opts yaml.Node
	err = opts.Encode(map[string]any{
		"seed": seed, "realtime": true,
		"faults": []map[string]any{{"kind": "bearing_outer", "start": faultAt.String(), "ramp": ramp.String(), "severity": 1.0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Device: device, StateDir: t.TempDir(),
		MQTT:    config.MQTT{Broker: "tcp://" + brokerAddr},
		Metrics: config.Metrics{Interval: 10 * time.Second},
		Sensors: []config.Sensor{{Name: "pump", Driver: "sim", Rate: info.Rate, Options: opts}},
		Models: []config.Model{{
			Name: info.Name, Version: info.Version, File: "builtin:demo", Sensor: "pump",
			Window: window, Channels: info.Channels, Features: info.Features,
			Thresholds: config.Thresholds{Warn: info.Warn, Alarm: info.Alarm, Raise: 2, Clear: 3},
		}},
	}
	if err := cfg.Finish(device); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// e2eConfig runs the demo model on a real-time simulated pump whose bearing
// fault starts after 3 s of machine time.
func e2eConfig(t *testing.T, broker string) *config.Config {
	t.Helper()
	return pumpConfig(t, "e2e-pump", broker, 3, 3*time.Second, time.Second)
}

// collector is the fleet backend of the test: it decodes every message
// strictly as a v1 payload.
type collector struct {
	mu     sync.Mutex
	scores []fleet.Score
	events []fleet.Event
	status []fleet.Status
	errs   []string
}

func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (c *collector) handle(topic string, payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(payload, &v); err != nil || v.V != 1 {
		c.errs = append(c.errs, fmt.Sprintf("%s: not v1 JSON: %s", topic, payload))
		return
	}
	switch {
	case strings.Contains(topic, "/scores/"):
		var s fleet.Score
		if err := strict(payload, &s); err != nil || s.Seq == 0 || s.Score == nil || s.Model == "" {
			c.errs = append(c.errs, fmt.Sprintf("%s: bad score (%v): %s", topic, err, payload))
			return
		}
		c.scores = append(c.scores, s)
	case strings.HasSuffix(topic, "/events"):
		var e fleet.Event
		if err := strict(payload, &e); err != nil || e.Seq == 0 {
			c.errs = append(c.errs, fmt.Sprintf("%s: bad event (%v): %s", topic, err, payload))
			return
		}
		c.events = append(c.events, e)
	case strings.HasSuffix(topic, "/status"):
		var s fleet.Status
		if err := strict(payload, &s); err != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: bad status (%v): %s", topic, err, payload))
			return
		}
		c.status = append(c.status, s)
	}
}

func (c *collector) alarmed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.events {
		if e.Kind == fleet.EventAlert && e.Data["state"] == fleet.AlertAlarm {
			return true
		}
	}
	return false
}

// runE2E runs the agent against broker until the consumer has seen the
// alarm, then stops it and checks what arrived.
func runE2E(t *testing.T, brokerURL string) {
	cfg := e2eConfig(t, strings.TrimPrefix(brokerURL, "tcp://"))
	var col collector
	uplinktest.NewConsumer(t, brokerURL, "e2e-backend", col.handle, "axle/e2e-pump/#")

	startAgent(t, cfg)

	uplinktest.WaitFor(t, 60*time.Second, "the alarm event from the bearing fault", col.alarmed)

	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.errs) > 0 {
		t.Fatalf("invalid payloads:\n%s", strings.Join(col.errs, "\n"))
	}
	if len(col.scores) < 3 {
		t.Fatalf("only %d scores before the alarm", len(col.scores))
	}
	for i, s := range col.scores {
		if i > 0 && s.Seq <= col.scores[i-1].Seq {
			t.Errorf("score %d has seq %d after %d: not strictly increasing", i, s.Seq, col.scores[i-1].Seq)
		}
		if s.Model != "pump-anomaly" || s.Window.End.Before(s.Window.Start) {
			t.Errorf("score %d: %+v", i, s)
		}
	}
	if col.scores[0].Alert != fleet.AlertOK {
		t.Errorf("first window (healthy pump) has alert %q", col.scores[0].Alert)
	}
	if len(col.status) == 0 || col.status[len(col.status)-1].State != fleet.StateOnline {
		t.Errorf("no retained online status: %+v", col.status)
	}
}

// startAgent runs the agent on cfg (with drivers.All(), or the drivers
// given) until the test ends, then stops it and
// checks that it stopped cleanly. log reads the agent's info-level log so
// far; the log is printed when the test failed.
func startAgent(t *testing.T, cfg *config.Config, drv ...map[string]sensors.Opener) (a *Agent, log func() string) {
	t.Helper()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log = func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
	opts := Options{Config: cfg, Logger: logger, Drivers: drivers.All(), Runtime: tflite.Runtime{},
		BuiltinModels: map[string][]byte{"demo": demomodel.TFLite()}, Version: "test"}
	if len(drv) > 0 {
		opts.Drivers = drv[0]
	}
	a, err := setup(context.Background(), opts)
	if err != nil {
		t.Fatalf("agent setup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("agent did not stop within 20 s of cancel")
		}
		if t.Failed() {
			t.Logf("agent log:\n%s", log())
		}
	})
	return a, log
}

// testBroker starts a real Mosquitto on a free port for the test and
// returns its address.
func testBroker(t *testing.T) string {
	t.Helper()
	return uplinktest.StartBroker(t, uplinktest.BrokerOptions{}).Addr()
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestEndToEndMosquitto(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	runE2E(t, b.URL())
}
