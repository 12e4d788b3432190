package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/capture"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/models/demomodel"
)

// TestCapturesFromRunningAgent captures every window of a running agent
// (uncertainty band wider than any score) into a store with a small quota:
// each capture holds the raw window, the features and the committed score,
// and the oldest are dropped to keep the quota.
func TestCapturesFromRunningAgent(t *testing.T) {
	t.Parallel()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	yml := pumpYAML(t, "cap-dev", "tcp://"+b.Addr(), "") + "captures: {budget: 1MiB, quotas: {uncertain: 200KiB}, uncertain_band: 1e9}\n"
	var mu sync.Mutex
	scores := map[float64]bool{}
	h := setupAgent(t, yml, Options{OnScore: func(s fleet.Score) {
		mu.Lock()
		scores[*s.Score] = true
		mu.Unlock()
	}})
	h.start(t)
	st := h.a.observe.caps
	uplinktest.WaitFor(t, 30*time.Second, "captures dropped for the quota", func() bool {
		return st.Stats().Triggers[capture.TriggerUncertain].Dropped >= 2
	})
	stats := st.Stats()
	if ts := stats.Triggers[capture.TriggerUncertain]; ts.Bytes > 200<<10 || ts.Captures < 2 {
		t.Errorf("uncertain captures: %+v, want within the 200KiB quota", ts)
	}
	info := demomodel.Info()
	list := st.List(capture.Filter{Model: "good"})
	if len(list) == 0 {
		t.Fatal("no captures listed")
	}
	c, err := st.Read(list[len(list)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	known := scores[c.Score]
	mu.Unlock()
	if !known || c.ModelVersion != info.Version || c.Sensor != "pump" || c.Trigger != capture.TriggerUncertain {
		t.Errorf("capture %+v: score committed %v", c.Info, known)
	}
	if len(c.Window) != len(info.Channels) || len(c.Window[0]) != int(info.Rate) || len(c.Features) != len(info.Channels)*len(info.Features) {
		t.Errorf("capture holds %d channels of %d samples and %d features, want %d × %d and %d",
			len(c.Window), len(c.Window[0]), len(c.Features), len(info.Channels), int(info.Rate), len(info.Channels)*len(info.Features))
	}
	if fmt.Sprint(c.Channels) != fmt.Sprint(info.Channels) || c.SampleRate != info.Rate || !c.End.After(c.Start) {
		t.Errorf("capture info: %+v", c.Info)
	}
}

// TestCaptureCommands drives the capture and capture.upload commands over
// a real broker: a features-only and a raw capture on command, rejected
// args, and an upload whose result names the sha256 and size of the
// capture file, with progress events.
func TestCaptureCommands(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "cap-cmd")
	h := setupAgent(t, rg.yaml()+"captures: {budget: 8MiB}\n", Options{})
	h.start(t)
	st := h.a.observe.caps
	rg.waitState("1", fleet.ModelActive) // connected and subscribed

	commandCaptures := func() []capture.Info { return st.List(capture.Filter{Trigger: capture.TriggerCommand}) }
	rg.command("c1", fleet.VerbCapture, map[string]any{"sensor": "pump", "duration": "1s", "mode": "features"})
	if res := rg.final("c1"); res.Status != fleet.ResultDone || fmt.Sprint(res.Result["models"]) != "[pump]" || res.Result["mode"] != "features" {
		t.Fatalf("capture: %+v", res)
	}
	uplinktest.WaitFor(t, 30*time.Second, "a features capture", func() bool { return len(commandCaptures()) >= 1 })
	c, err := st.Read(commandCaptures()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	info := demomodel.Info()
	if len(c.Window) != 0 || len(c.Features) != len(info.Channels)*len(info.Features) || c.Model != "pump" {
		t.Errorf("features capture: %d channels, %d features, %+v", len(c.Window), len(c.Features), c.Info)
	}
	// The 1 s is over: then a raw capture.
	uplinktest.WaitFor(t, 10*time.Second, "the features capture's end", func() bool { return h.a.now().UnixNano() > h.a.pipes[0].runners[0].obs.cmdUntil.Load() })
	n := len(commandCaptures())
	rg.command("c2", fleet.VerbCapture, map[string]any{"sensor": "pump", "model": "pump", "duration": "1s"})
	if res := rg.final("c2"); res.Status != fleet.ResultDone || res.Result["mode"] != "raw" {
		t.Fatalf("raw capture: %+v", res)
	}
	uplinktest.WaitFor(t, 30*time.Second, "a raw capture", func() bool { return len(commandCaptures()) > n })
	list := commandCaptures()
	raw, err := st.Read(list[len(list)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Window) != len(info.Channels) || len(raw.Window[0]) != int(info.Rate) {
		t.Errorf("raw capture holds %d channels", len(raw.Window))
	}

	for id, tc := range map[string]struct {
		verb string
		args map[string]any
		want string
	}{
		"r1": {fleet.VerbCapture, map[string]any{"sensor": "fan"}, `"fan" has no configured model`},
		"r2": {fleet.VerbCapture, map[string]any{"sensor": "pump", "mode": "video"}, `args field "mode": "video"`},
		"r3": {fleet.VerbCapture, map[string]any{"sensor": "pump", "duration": "2h"}, `args field "duration": "2h"`},
		"r4": {fleet.VerbCaptureUpload, map[string]any{"id": "nope"}, "args: capture"},
		"r5": {fleet.VerbCaptureUpload, map[string]any{"id": raw.ID, "chunk_size": -1}, "chunk size -1"},
	} {
		rg.command(id, tc.verb, tc.args)
		if res := rg.final(id); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, tc.want) {
			t.Errorf("%s: %+v, want rejected with %q", id, res, tc.want)
		}
	}

	rg.command("u1", fleet.VerbCaptureUpload, map[string]any{"id": raw.ID, "chunk_size": 16 << 10})
	res := rg.final("u1")
	file, err := os.ReadFile(filepath.Join(rg.stateDir, "captures", raw.ID+".cap"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(file)
	if res.Status != fleet.ResultDone || res.Result["sha256"] != hex.EncodeToString(sum[:]) || res.Result["size"] != float64(len(file)) {
		t.Fatalf("upload: %+v, want sha256 %x size %d", res, sum, len(file))
	}
	uplinktest.WaitFor(t, 10*time.Second, "the 100% progress event", func() bool {
		rg.backend.col.mu.Lock()
		defer rg.backend.col.mu.Unlock()
		for _, e := range rg.backend.col.events {
			if e.Kind == fleet.EventCaptureUpload && e.Data["percent"] == float64(100) {
				return true
			}
		}
		return false
	})
}
