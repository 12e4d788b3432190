package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/sensortest"
)

// imsConfig replays one raw IMS snapshot (bearing 1, x axis, 20,480 Hz)
// into a model that scores a window by its RMS (a FULLY_CONNECTED with
// weight 1), so every score can be checked against the file.
const imsConfig = `device: ims-rig
state_dir: %q
mqtt: {broker: %q}
sensors:
  - name: bearings
    driver: replay
    rate: 20480
    options:
      file: %q
      format: ascii
      columns: [{name: b1_x, column: 0, unit: g}]
      speed: 4
models:
  - name: rms
    version: "1"
    file: %q
    sensor: bearings
    window: 250ms
    channels: [b1_x]
    features: [rms]
    thresholds: {warn: 10, alarm: 20}
`

// identityModel writes a float32 model whose output equals its one input.
func identityModel(t *testing.T) string {
	t.Helper()
	b := build.New()
	x := b.Input("rms", models.Float32, []int{1, 1}, nil)
	w := b.Const("w", models.Float32, []int{1, 1}, []float32{1}, nil)
	y := b.Tensor("score", models.Float32, []int{1, 1}, nil)
	b.Op(ops.OpFullyConnected, 1, []int{x, w, -1}, []int{y}, build.Options{})
	b.Output(y)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rms.tflite")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// windowRMS reads column 0 of an IMS snapshot and returns the RMS of each
// whole window of n samples, computed here independently of the agent.
func windowRMS(t *testing.T, file string, n int) []float64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sum, k := 0.0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += v * v
		if k++; k == n {
			out = append(out, math.Sqrt(sum/float64(n)))
			sum, k = 0, 0
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplayIMSEndToEnd drives the whole agent from a real recording: the
// IMS bearing snapshot is replayed (4x real time) through preprocessing,
// the model, the outbox and MQTT, and each published score is the RMS of
// its window of the file. The recording ends without looping: the agent
// keeps running and reports no sensor fault for the end of the data.
func TestReplayIMSEndToEnd(t *testing.T) {
	dir := os.Getenv("AXLE_DATASETS_DIR")
	if dir == "" {
		t.Skip("AXLE_DATASETS_DIR is not set")
	}
	t.Parallel()
	file := filepath.Join(dir, "ims_bearing", "raw_1st_test", "2003.10.22.12.06.24")
	want := windowRMS(t, file, 5120)
	if len(want) != 4 {
		t.Fatalf("the snapshot has %d whole 250 ms windows, want 4", len(want))
	}

	addr := testBroker(t)
	cfg, err := config.Parse("ims", fmt.Appendf(nil, imsConfig, t.TempDir(), "tcp://"+addr, file, identityModel(t)))
	if err != nil {
		t.Fatal(err)
	}
	var col collector
	uplinktest.NewConsumer(t, "tcp://"+addr, "ims-backend", col.handle, "axle/ims-rig/#")

	_, agentLog := startAgent(t, cfg)

	uplinktest.WaitFor(t, 30*time.Second, "4 scores from the replayed snapshot", func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		return len(col.scores) >= len(want)
	})
	uplinktest.WaitFor(t, 10*time.Second, "the end of the recording in the log", func() bool {
		return strings.Contains(agentLog(), "sensor source ended")
	})

	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.errs) > 0 {
		t.Fatalf("invalid payloads:\n%s", strings.Join(col.errs, "\n"))
	}
	if len(col.scores) != len(want) {
		t.Fatalf("%d scores, want exactly %d (one per whole window)", len(col.scores), len(want))
	}
	for i, s := range col.scores {
		if got := *s.Score; math.Abs(got-want[i]) > 1e-6*want[i] {
			t.Errorf("score %d = %.9g, the RMS of window %d of the file is %.9g", i, got, i, want[i])
		}
		if d := s.Window.End.Sub(s.Window.Start); d < 249*time.Millisecond || d > 250*time.Millisecond {
			t.Errorf("score %d spans %v of data, want 250 ms", i, d)
		}
	}
	for _, e := range col.events {
		if e.Kind == "sensor_fault" {
			t.Errorf("the end of a recording was reported as a fault: %+v", e)
		}
	}
}

// Only sensors.ErrEnd ends a source: a device whose file returns io.EOF
// (an IIO buffer after a hot-unplug) is a fault, reported and reopened.
func TestDeviceEOFIsRetriedNotEnded(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	opens := 0
	drv := map[string]sensors.Opener{"flaky": func(context.Context, sensors.Spec, sensors.Buses) (sensors.Sensor, error) {
		mu.Lock()
		opens++
		mu.Unlock()
		return &sensortest.Sensor{Chans: []sensors.Channel{{Name: "x"}}, Then: fmt.Errorf("flaky: read: %w", io.EOF)}, nil
	}}
	cfg, err := config.Parse("eof", fmt.Appendf(nil, "device: eof-dev\nstate_dir: %q\nmqtt: {broker: %q}\nsensors:\n  - {name: dev, driver: flaky, rate: 10}\n",
		t.TempDir(), "tcp://"+testBroker(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, agentLog := startAgent(t, cfg, drv)
	uplinktest.WaitFor(t, 10*time.Second, "the sensor reopened after its read error", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return opens >= 3
	})
	if l := agentLog(); !strings.Contains(l, "sensor fault") || strings.Contains(l, "sensor source ended") {
		t.Errorf("a device EOF was not handled as a fault:\n%s", l)
	}
}
