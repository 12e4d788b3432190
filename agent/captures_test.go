package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/api"
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
	tokFile := filepath.Join(t.TempDir(), "api.token")
	if err := os.WriteFile(tokFile, []byte("cap-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := pumpYAML(t, "cap-dev", "tcp://"+b.Addr(), "") + "captures: {budget: 1MiB, quotas: {uncertain: 200KiB}, uncertain_band: 1e9}\n" +
		fmt.Sprintf("api: {listen: \"127.0.0.1:0\", token_file: %q}\n", tokFile)
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

	// The local API lists the captures and serves their files; the newest
	// listed one may be dropped for the quota before it is fetched, so
	// list and fetch again until a fetch finds its capture.
	base := "http://" + h.a.observe.ln.Addr().String()
	call := func(method, path, token, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	var got *capture.Capture
	var entry api.CaptureInfo
	uplinktest.WaitFor(t, 10*time.Second, "a listed capture fetched through the API", func() bool {
		code, body := call("GET", "/v1/captures?model=good&trigger=uncertain&from="+c.Start.Add(-time.Hour).Format(time.RFC3339Nano), "cap-token", "")
		var l struct{ Captures []api.CaptureInfo }
		if code != http.StatusOK || json.Unmarshal(body, &l) != nil || len(l.Captures) == 0 {
			t.Fatalf("list: %d %s", code, body)
		}
		for _, e := range l.Captures {
			if e.Model != "good" || e.Trigger != "uncertain" || e.Score == nil || e.Size <= 0 {
				t.Fatalf("listed capture %+v does not match the filter or lacks its score or size", e)
			}
		}
		entry = l.Captures[len(l.Captures)-1]
		code, body = call("GET", "/v1/captures/"+entry.ID, "cap-token", "")
		if code == http.StatusNotFound {
			return false
		}
		if code != http.StatusOK || int64(len(body)) != entry.Size {
			t.Fatalf("capture %s: %d, %d bytes, listed size %d", entry.ID, code, len(body), entry.Size)
		}
		if got, err = capture.Decode(body); err != nil {
			t.Fatalf("capture %s from the API: %v", entry.ID, err)
		}
		return true
	})
	if got.ID != entry.ID || got.Score != *entry.Score || len(got.Window) != len(info.Channels) {
		t.Errorf("capture from the API %+v, listed %+v", got.Info, entry)
	}
	if code, body := call("GET", "/v1/captures/"+entry.ID, "", ""); code != http.StatusUnauthorized {
		t.Errorf("capture without the token: %d %s", code, body)
	}
	if code, body := call("GET", "/v1/captures/12", "cap-token", ""); code != http.StatusNotFound {
		t.Errorf("capture with a malformed id: %d %s", code, body)
	}

	// Feedback through the API labels the captured window as the command
	// would and answers the command's result.
	at := got.End.Format(time.RFC3339Nano)
	code, body := call("POST", "/v1/feedback", "cap-token", `{"model":"good","label":"positive","from":"`+at+`","to":"`+at+`"}`)
	var res map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res["labelled"] != 1.0 || res["versions"] == nil {
		t.Errorf("feedback: %d %s", code, body)
	}
	if code, body := call("POST", "/v1/feedback", "cap-token", `{"model":"good","label":"maybe","seq":[1]}`); code != http.StatusBadRequest ||
		!strings.Contains(string(body), `args field \"label\": \"maybe\"`) {
		t.Errorf("bad feedback: %d %s", code, body)
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
