package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/fleet/operator"
	"github.com/axle-edge/axle/fleet/rollout"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/demomodel"
)

// scaleDevices is how many agents TestFleetRolloutAtScale runs:
// AXLE_SCALE_DEVICES, default 20 (what `go test -race ./...` runs; make
// test runs it again without -race at the 100).
func scaleDevices(t *testing.T) int {
	n := 20
	if s := os.Getenv("AXLE_SCALE_DEVICES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 3 {
			t.Fatalf("AXLE_SCALE_DEVICES=%q: want a number >= 3", s)
		}
		n = v
	}
	return n
}

// finals counts final results per device and command id.
type finals struct {
	mu sync.Mutex
	n  map[string]map[string]int // device -> id -> final results
}

func (f *finals) handle(topic string, payload []byte) {
	parts := strings.Split(topic, "/")
	if len(parts) != 3 || parts[2] != "result" {
		return
	}
	var r fleet.Result
	if json.Unmarshal(payload, &r) != nil || r.Status == fleet.ResultAccepted {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[parts[1]] == nil {
		f.n[parts[1]] = map[string]int{}
	}
	f.n[parts[1]][r.ID]++
}

// of is what device answered, command id -> final results.
func (f *finals) of(device string) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for id, n := range f.n[device] {
		out[id] = n
	}
	return out
}

// N real agents (own state dirs, a slow simulated sensor, the demo model)
// against one real Mosquitto, driven by fleet/operator: a good bundle
// reaches all in three waves with one result per device per command; a
// bundle that turns non-finite is stopped in the first wave, whose devices
// are back on the good version while no other device got the deploy; an
// operator killed mid-rollout is resumed by another and the rollout ends;
// a shadow rollout's figures, as each agent reports them, match what the
// champion's and the candidate's score streams say.
func TestFleetRolloutAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many agents")
	}
	n := scaleDevices(t)
	start := time.Now()
	mark := func(what string) { t.Logf("%6.1fs %s", time.Since(start).Seconds(), what) }
	defer mark("end")
	rg := newOTARig(t, "scale")
	var res finals
	res.n = map[string]map[string]int{}
	uplinktest.NewConsumer(t, rg.url, "scale-results", res.handle, "axle/+/result")
	// Every message through the broker (but the counter's own), for the
	// benchmark figures in the log.
	var msgs atomic.Int64
	uplinktest.NewConsumer(t, rg.url, "scale-count", func(string, []byte) { msgs.Add(1) }, "#")

	info := demomodel.Info()
	devs := make([]string, n)
	for i := range devs {
		devs[i] = fmt.Sprintf("gw-%03d", i)
		yaml := fmt.Sprintf(`device: %s
state_dir: %q
mqtt: {broker: %q, groups: [scale]}
trust: {model_keys: [%q], command_keys: [%q]}
probation: {duration: 1s, windows: 6}
metrics: {interval: 1h}
sensors:
  - {name: pump, driver: sim, rate: 100, options: {seed: %d, realtime: true}}
models:
  - name: pump
    version: "1"
    file: builtin:demo
    sensor: pump
    window: %s
    hop: 250ms
    channels: [%s]
    features: [%s]
    thresholds: {warn: %g, alarm: %g, raise: 2, clear: 3}
`, devs[i], t.TempDir(), rg.url, rg.pubKey, rg.pubKey, i+1, info.Window, strings.Join(info.Channels, ", "),
			strings.Join(info.Features, ", "), info.Warn, info.Alarm)
		h := setupAgent(t, yaml, Options{})
		h.a.fetchTune = func(o *artifact.Options) {
			o.MetaTimeout, o.ChunkTimeout, o.Requests = 10*time.Second, 10*time.Second, 1
		}
		h.start(t)
	}

	dial := func(id string) *operator.Client {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := operator.Dial(ctx, operator.Config{MQTT: uplink.Config{Broker: rg.url, ClientID: id,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, Key: &rg.sk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	op := dial("scale-op")
	uplinktest.WaitFor(t, 60*time.Second, "every agent online", func() bool {
		on := 0
		for _, s := range op.Statuses() {
			if s.State == fleet.StateOnline {
				on++
			}
		}
		return on == n
	})
	mark("every agent online")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	publish := func(version string, o bundleOpts) rollout.Bundle {
		o.version = version
		raw := rg.makeBundle(o)
		return rollout.Bundle{Model: "pump", Version: version, SHA256: rg.publish(raw), Size: int64(len(raw))}
	}
	policy := rollout.Policy{MaxFailed: 0, Soak: rollout.Duration(1500 * time.Millisecond), ResultTimeout: rollout.Duration(60 * time.Second)}
	// The bad bundle's wave soaks longer: its gate must be heard before
	// wave 2 would start, whatever the load.
	badPolicy := policy
	badPolicy.Soak = rollout.Duration(3 * time.Second)
	waves := []float64{10, 50, 100}
	assigned := rollout.Assign(devs, waves)
	versionOf := func(d string) string {
		s := op.Statuses()[d]
		for _, m := range s.Models {
			if m.Name == "pump" {
				return m.Version
			}
		}
		return ""
	}
	// oneEach checks that every device in ds answered each command of the
	// rollout once, and no device outside ds answered any.
	oneEach := func(s *rollout.State, ds []string) {
		t.Helper()
		for _, d := range devs {
			cmd := s.Devices[d].Command
			got := res.of(d)
			inside := slices.Contains(ds, d)
			switch {
			case inside && (cmd == "" || got[cmd] != 1):
				t.Errorf("%s: %d final results for command %q (all: %v), want 1", d, got[cmd], cmd, got)
			case !inside && cmd != "":
				t.Errorf("%s outside the waves reached was sent %q", d, cmd)
			}
		}
	}

	// 1. A good bundle, three waves.
	began, msgs0 := time.Now(), msgs.Load()
	var lines []string
	good := publish("2.0.0", bundleOpts{})
	s, err := op.Deploy(ctx, "r-good", good, devs, waves, policy, operator.RolloutOptions{Tick: 100 * time.Millisecond,
		Progress: func(l string) { lines = append(lines, fmt.Sprintf("%6.1fs %s", time.Since(began).Seconds(), l)) }})
	if err != nil || s.Phase != rollout.PhaseCompleted {
		t.Fatalf("good rollout: %v, phase %s %s\n%s", err, s.Phase, s.Reason, strings.Join(lines, "\n"))
	}
	t.Logf("good rollout of %d devices in %v, %d messages through the broker:\n%s", n, time.Since(began).Round(time.Millisecond),
		msgs.Load()-msgs0, strings.Join(lines, "\n"))
	oneEach(s, devs)
	uplinktest.WaitFor(t, 30*time.Second, "every device on 2.0.0", func() bool {
		return !slices.ContainsFunc(devs, func(d string) bool { return versionOf(d) != "2.0.0" })
	})

	mark("good rollout checked")
	// 2. A bundle whose output turns non-finite: stopped in wave 1.
	bad := publish("3.0.0", bundleOpts{normStd: 1e-300})
	s, err = op.Deploy(ctx, "r-bad", bad, devs, waves, badPolicy, operator.RolloutOptions{Tick: 100 * time.Millisecond})
	if err != nil || s.Phase != rollout.PhaseAborted {
		t.Fatalf("bad rollout: %v, phase %s %s", err, s.Phase, s.Reason)
	}
	t.Logf("bad rollout aborted: %s", s.Reason)
	for _, d := range devs {
		if st := s.Devices[d]; !slices.Contains(assigned[0], d) && st.Command != "" {
			t.Errorf("%s outside wave 1 got %s (%s)", d, st.Command, st.State)
		}
	}
	uplinktest.WaitFor(t, 30*time.Second, "wave 1 back on 2.0.0", func() bool {
		return !slices.ContainsFunc(devs, func(d string) bool { return versionOf(d) != "2.0.0" })
	})

	mark("bad rollout checked")
	// 3. The operator dies during wave 2; another one resumes.
	next := publish("4.0.0", bundleOpts{})
	killCtx, kill := context.WithCancel(ctx)
	s, err = op.Deploy(killCtx, "r-kill", next, devs, waves, policy, operator.RolloutOptions{Tick: 100 * time.Millisecond,
		Progress: func(l string) {
			if strings.Contains(l, "wave 2/3") {
				kill()
			}
		}})
	kill()
	if err == nil || s.Phase != rollout.PhaseRunning {
		t.Fatalf("killed operator: phase %s, err %v", s.Phase, err)
	}
	op2 := dial("scale-op2")
	s, err = op2.Resume(ctx, "r-kill", operator.RolloutOptions{Tick: 100 * time.Millisecond})
	if err != nil || s.Phase != rollout.PhaseCompleted {
		var bad []string
		for d, st := range s.Devices {
			if st.Error != "" {
				bad = append(bad, d+": "+string(st.State)+": "+st.Error)
			}
		}
		t.Fatalf("resumed rollout: %v, phase %s %s; %q", err, s.Phase, s.Reason, bad)
	}
	oneEach(s, devs)
	uplinktest.WaitFor(t, 30*time.Second, "every device on 4.0.0", func() bool {
		return !slices.ContainsFunc(devs, func(d string) bool { return versionOf(d) != "4.0.0" })
	})

	mark("resumed rollout checked")
	// 4. A shadow rollout of a retrained candidate: its figures as the
	// agents report them match what both score streams say.
	out, err := op.Command(ctx, operator.Target{All: true}, "config.set", json.RawMessage(`{"key":"metrics.interval","value":"1s"}`), 30*time.Second)
	if err != nil || len(out.Missing) > 0 || len(out.Results) != n {
		t.Fatalf("config.set metrics.interval to all: %v, %d results, missing %v", err, len(out.Results), out.Missing)
	}
	for d, r := range out.Results {
		if r.Status != fleet.ResultDone {
			t.Fatalf("config.set on %s: %+v", d, r)
		}
	}
	streams := newScoreStreams()
	uplinktest.NewConsumer(t, rg.url, "scale-streams", streams.handle, "axle/+/scores/pump", "axle/+/shadow/pump")
	cand := publish("5.0.0", retrainedCandidate(t, streams, devs))
	mark("candidate retrained and published")
	maxP95 := 1e6 // checks that no candidate score is non-finite
	shadowPolicy := policy
	// Few windows are required: the figures' check holds for any number,
	// and a gateway slowed by a loaded machine must not fail the wave.
	shadowPolicy.Shadow = &rollout.ShadowPolicy{Duration: rollout.Duration(5 * time.Second), MinWindows: 2, MaxP95Diff: &maxP95}
	began, msgs0, lines = time.Now(), msgs.Load(), nil
	s, err = op.Deploy(ctx, "r-shadow", cand, devs, []float64{10, 100}, shadowPolicy, operator.RolloutOptions{Tick: 100 * time.Millisecond,
		Progress: func(l string) { lines = append(lines, fmt.Sprintf("%6.1fs %s", time.Since(began).Seconds(), l)) }})
	if err != nil || s.Phase != rollout.PhaseCompleted {
		var bad []string
		for d, st := range s.Devices {
			if st.Error != "" {
				bad = append(bad, fmt.Sprintf("%s: %s: %s (figures %+v)", d, st.State, st.Error, st.Shadow))
			}
		}
		t.Fatalf("shadow rollout: %v, phase %s %s\n%s\n%s", err, s.Phase, s.Reason, strings.Join(bad, "\n"), strings.Join(lines, "\n"))
	}
	t.Logf("shadow rollout of %d devices in %v, %d messages through the broker:\n%s", n, time.Since(began).Round(time.Millisecond),
		msgs.Load()-msgs0, strings.Join(lines, "\n"))
	var agreements []float64
	for _, d := range devs {
		f := s.Devices[d].Shadow
		if f == nil || f.Verdict != "pass" || s.Devices[d].State != rollout.DeviceDone {
			t.Fatalf("%s: %s, figures %+v", d, s.Devices[d].State, f)
		}
		want := streams.compare(t, d, f.Windows)
		if want.Windows != f.Windows || math.Abs(want.Agreement-f.Agreement) > 1e-12 ||
			math.Abs(want.MeanDiff-f.MeanDiff) > 1e-9*max(1, want.MeanDiff) || math.Abs(want.P95Diff-f.P95Diff) > 1e-12*max(1, want.P95Diff) {
			t.Errorf("%s reported %d windows, agreement %v, mean |diff| %v, p95 |diff| %v; the streams say %d, %v, %v, %v",
				d, f.Windows, f.Agreement, f.MeanDiff, f.P95Diff, want.Windows, want.Agreement, want.MeanDiff, want.P95Diff)
		}
		agreements = append(agreements, f.Agreement)
	}
	slices.Sort(agreements)
	t.Logf("shadow agreement over %d devices: min %.3f, median %.3f, max %.3f", n, agreements[0], agreements[n/2], agreements[n-1])
	if agreements[0] == 1 && agreements[n-1] == 1 {
		t.Errorf("every device agreed on every window: the candidate's thresholds did not make it disagree")
	}
	uplinktest.WaitFor(t, 30*time.Second, "every device on 5.0.0", func() bool {
		return !slices.ContainsFunc(devs, func(d string) bool { return versionOf(d) != "5.0.0" })
	})
}

// scoreStreams keeps each device's champion and shadow scores by window end.
type scoreStreams struct {
	mu     sync.Mutex
	champ  map[string]map[time.Time]fleet.Score
	shadow map[string][]fleet.Score
}

func newScoreStreams() *scoreStreams {
	return &scoreStreams{champ: map[string]map[time.Time]fleet.Score{}, shadow: map[string][]fleet.Score{}}
}

func (st *scoreStreams) handle(topic string, payload []byte) {
	parts := strings.Split(topic, "/") // axle/<dev>/scores|shadow/pump
	var sc fleet.Score
	if len(parts) != 4 || json.Unmarshal(payload, &sc) != nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	dev := parts[1]
	if parts[2] == "shadow" {
		st.shadow[dev] = append(st.shadow[dev], sc)
		return
	}
	if st.champ[dev] == nil {
		st.champ[dev] = map[time.Time]fleet.Score{}
	}
	st.champ[dev][sc.Window.End] = sc
}

// champScores is every champion score seen so far.
func (st *scoreStreams) champScores() []float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []float64
	for _, m := range st.champ {
		for _, sc := range m {
			if sc.Score != nil {
				out = append(out, *sc.Score)
			}
		}
	}
	return out
}

// compare computes the shadow comparison of device d's first n shadow
// windows from the two streams, paired by window end: alert-state
// agreement, mean and nearest-rank p95 of the absolute score difference.
func (st *scoreStreams) compare(t *testing.T, d string, n int64) fleet.ShadowStatus {
	t.Helper()
	var sh []fleet.Score
	uplinktest.WaitFor(t, 20*time.Second, d+"'s shadow scores", func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		sh = slices.Clone(st.shadow[d])
		return int64(len(sh)) >= n
	})
	slices.SortFunc(sh, func(a, b fleet.Score) int { return a.Window.End.Compare(b.Window.End) })
	st.mu.Lock()
	defer st.mu.Unlock()
	out := fleet.ShadowStatus{Windows: n}
	var agree int64
	var diffs []float64
	for _, c := range sh[:n] {
		ch, ok := st.champ[d][c.Window.End]
		if !ok || ch.Score == nil || c.Score == nil {
			t.Fatalf("%s: shadow window ending %v has no champion score to pair with (champion %+v, candidate %+v)", d, c.Window.End, ch, c)
		}
		if (ch.Alert != fleet.AlertOK) == (c.Alert != fleet.AlertOK) {
			agree++
		}
		diffs = append(diffs, math.Abs(*ch.Score-*c.Score))
	}
	out.Agreement = float64(agree) / float64(n)
	sum := 0.0
	for _, x := range diffs {
		sum += x
	}
	out.MeanDiff = sum / float64(len(diffs))
	slices.Sort(diffs)
	out.P95Diff = diffs[int(math.Ceil(0.95*float64(len(diffs))))-1]
	return out
}

// retrainedCandidate is the demo model fitted again on other healthy data
// (same inputs, slightly different scores) with a warn threshold at the
// 60th percentile of the champion's scores so far, so that its alert state
// differs from the champion's on part of the windows.
func retrainedCandidate(t *testing.T, streams *scoreStreams, devs []string) bundleOpts {
	t.Helper()
	r := demomodel.DefaultRecipe
	r.Seed, r.HoldOut, r.Windows = 4242, 11, 60
	model, _, err := demomodel.Generate(r)
	if err != nil {
		t.Fatal(err)
	}
	var scores []float64
	uplinktest.WaitFor(t, 20*time.Second, "champion scores of every device", func() bool {
		scores = streams.champScores()
		return len(scores) >= 2*len(devs)
	})
	slices.Sort(scores)
	warn := scores[len(scores)*6/10]
	return bundleOpts{model: model, ops: []string{"SUB", "MUL", "FULLY_CONNECTED", "MEAN"}, th: &bundle.Thresholds{Warn: warn, Alarm: 1e6 * max(warn, 1), Raise: 2, Clear: 3}}
}
