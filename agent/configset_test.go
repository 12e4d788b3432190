package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// config.set over a real broker: groups change the group topics the
// device answers on at once and after a restart; thresholds, the metrics
// interval and the drain rate apply; bad keys and values are refused with
// the reason; status shows groups and backlog.
func TestConfigSet(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "cfgset-pump")
	var metrics atomic.Int64
	uplinktest.NewConsumer(t, rg.url, "cfgset-metrics", func(string, []byte) { metrics.Add(1) }, "axle/cfgset-pump/metrics")
	yaml := strings.Replace(rg.yaml(), "mqtt: {broker: ", "mqtt: {groups: [line-a], broker: ", 1)
	start := func() *runHarness {
		h := setupAgent(t, yaml, Options{OnScore: func(s fleet.Score) {
			rg.mu.Lock()
			rg.scores = append(rg.scores, s)
			rg.mu.Unlock()
		}})
		h.start(t)
		return h
	}
	cmdOn := func(topic, id, verb string, args any) {
		t.Helper()
		a, _ := json.Marshal(args)
		c, _ := json.Marshal(map[string]any{"v": 1, "id": id, "verb": verb, "args": json.RawMessage(a),
			"expires_at": time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)})
		rg.cons.Publish(t, topic, false, c)
	}
	groupsAre := func(want ...string) {
		t.Helper()
		uplinktest.WaitFor(t, 20*time.Second, "status groups "+strings.Join(want, ","), func() bool {
			s, _ := rg.watch.status()
			return s.State == fleet.StateOnline && slices.Equal(s.Groups, want)
		})
	}
	// answersOnly checks that of a ping to each group, only the listed
	// groups answer. The pings go out in order and are answered in order,
	// so once the last group's answer is in, any other would be too.
	round := 0
	answersOnly := func(answer string, silent string) {
		t.Helper()
		round++
		idS, idA := "ping-"+silent+"-"+string(rune('0'+round)), "ping-"+answer+"-"+string(rune('0'+round))
		cmdOn("axle/group/"+silent+"/cmd", idS, fleet.VerbPing, map[string]any{})
		cmdOn("axle/group/"+answer+"/cmd", idA, fleet.VerbPing, map[string]any{})
		if res := rg.final(idA); res.Status != fleet.ResultDone {
			t.Fatalf("ping via %s: %+v", answer, res)
		}
		if got := rg.backend.byID(idS); len(got) != 0 {
			t.Errorf("ping via %s (not a group of the device) answered: %+v", silent, got)
		}
	}

	h := start()
	groupsAre("line-a")
	answersOnly("line-a", "line-b")

	// Refused, with the reason.
	for id, c := range map[string]struct {
		args any
		want string
	}{
		"r1": {map[string]any{"key": "groups", "value": []string{"ok", "bad/x"}}, `mqtt.groups[1]: "bad/x" must be letters`},
		"r2": {map[string]any{"key": "device", "value": "x"}, `key "device" is not settable; keys: groups, metrics.interval`},
		"r3": {map[string]any{"key": "metrics.interval", "value": "soon"}, `value "soon" is not a duration`},
		"r4": {map[string]any{"key": "models.fan.thresholds", "value": map[string]any{"warn": 1}}, `"fan" is not a configured model`},
		"r5": {map[string]any{"key": "models.pump.thresholds", "value": map[string]any{"warn": 3, "alarm": 2, "raise": 1, "clear": 1}}, `warn threshold 3 is above alarm threshold 2`},
		"r6": {map[string]any{"key": "mqtt.drain_rate", "value": -1}, "mqtt.drain_rate: must not be negative"},
		"r7": {map[string]any{"key": "groups"}, `args need "key" and "value"`},
		"r8": {map[string]any{"key": "groups", "value": "line-c"}, `key "groups": value: json: cannot unmarshal string`},
	} {
		rg.command(id, fleet.VerbConfigSet, c.args)
		if res := rg.final(id); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, c.want) {
			t.Errorf("%s: %+v, want rejected with %q", id, res, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(rg.stateDir, overridesFile)); !os.IsNotExist(err) {
		t.Errorf("refused settings left an overrides file: %v", err)
	}

	// Accepted and applied without a restart.
	for id, args := range map[string]map[string]any{
		"s1": {"key": "groups", "value": []string{"line-b"}},
		"s2": {"key": "models.pump.thresholds", "value": map[string]any{"warn": 1e-9, "alarm": 1e9, "raise": 1, "clear": 1}},
		"s3": {"key": "metrics.interval", "value": "200ms"},
		"s4": {"key": "mqtt.drain_rate", "value": 50},
	} {
		rg.command(id, fleet.VerbConfigSet, args)
		if res := rg.final(id); res.Status != fleet.ResultDone || res.Result["key"] != args["key"] {
			t.Errorf("%s: %+v", id, res)
		}
	}
	groupsAre("line-b")
	answersOnly("line-b", "line-a")
	warnSince := func(i int) func() bool {
		return func() bool {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			for _, s := range rg.scores[min(i, len(rg.scores)):] {
				if s.Alert == fleet.AlertWarn {
					return true
				}
			}
			return false
		}
	}
	uplinktest.WaitFor(t, 20*time.Second, "a score in warn under the new thresholds", warnSince(0))
	uplinktest.WaitFor(t, 20*time.Second, "metrics every 200ms", func() bool { return metrics.Load() >= 3 })
	var persisted map[string]json.RawMessage
	if b, err := os.ReadFile(filepath.Join(rg.stateDir, overridesFile)); err != nil || json.Unmarshal(b, &persisted) != nil || string(persisted["mqtt.drain_rate"]) != "50" || len(persisted) != 4 {
		t.Errorf("overrides file: %v %s", err, persisted)
	}
	if s, _ := rg.watch.status(); s.Backlog == nil || *s.Backlog < 0 {
		t.Errorf("status backlog %v", s.Backlog)
	}

	// After a restart the overrides still hold.
	h.stop(t, nil)
	n := rg.nScores()
	start()
	groupsAre("line-b")
	answersOnly("line-b", "line-a")
	uplinktest.WaitFor(t, 20*time.Second, "a score in warn after the restart", warnSince(n))
}

// Settings from untrusted commands: any key and value is refused with an
// error or gives a valid configuration; never a panic.
func FuzzConfigSet(f *testing.F) {
	cfg, err := config.Parse("fuzz.yaml", []byte(`device: d
state_dir: /tmp/x
mqtt: {broker: "tcp://127.0.0.1:1883"}
sensors: [{name: pump, driver: sim, rate: 100}]
models: [{name: pump, file: builtin:demo, sensor: pump, window: 1s, channels: [vib_x]}]
`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("groups", `["a","b"]`)
	f.Add("groups", `null`)
	f.Add("metrics.interval", `"30s"`)
	f.Add("mqtt.drain_rate", `1e308`)
	f.Add("models.pump.thresholds", `{"warn":1,"alarm":2,"raise":1,"clear":1}`)
	f.Add("models..thresholds", `{}`)
	f.Fuzz(func(t *testing.T, key, value string) {
		n, err := withSetting(cfg, key, json.RawMessage(value))
		if err == nil && n == nil {
			t.Fatal("no error and no config")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "config.set: ") {
			t.Fatalf("error without the component: %v", err)
		}
	})
}
