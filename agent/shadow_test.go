package agent

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/demomodel"
)

// shadowFeed collects a device's shadow scores and shadow events.
type shadowFeed struct {
	mu     sync.Mutex
	scores []fleet.Score
	events []fleet.Event
	// agreementMetric is the last shadow agreement in the metrics (-1: none).
	agreementMetric float64
}

func (f *shadowFeed) handle(topic string, payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.Contains(topic, "/shadow/"):
		var s fleet.Score
		if json.Unmarshal(payload, &s) == nil {
			f.scores = append(f.scores, s)
		}
	case strings.HasSuffix(topic, "/metrics"):
		var m fleet.Metrics
		if json.Unmarshal(payload, &m) == nil {
			if v, ok := m.Values["model_pump_shadow_agreement"]; ok {
				f.agreementMetric = v
			}
		}
	case strings.HasSuffix(topic, "/events"):
		var e fleet.Event
		if json.Unmarshal(payload, &e) == nil && e.Kind == fleet.EventShadow {
			f.events = append(f.events, e)
		}
	}
}

// A candidate in shadow scores every window beside the champion without
// replacing it; its published comparison matches what the two score
// streams say; model.discard drops it; model.promote and the promote_after
// criteria swap it in without a gap and start its probation.
func TestShadowDeploy(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "shadow-pump")
	feed := shadowFeed{agreementMetric: -1}
	uplinktest.NewConsumer(t, rg.url, "shadow-feed", feed.handle, "axle/shadow-pump/shadow/#", "axle/shadow-pump/events", "axle/shadow-pump/metrics")
	h := setupAgent(t, rg.yaml()+"metrics: {interval: 500ms}\n", Options{OnScore: func(s fleet.Score) {
		rg.mu.Lock()
		rg.scores = append(rg.scores, s)
		rg.mu.Unlock()
	}})
	h.a.fetchTune = func(o *artifact.Options) { o.MetaTimeout, o.ChunkTimeout, o.Requests = 2*time.Second, 2*time.Second, 1 }
	h.start(t)
	uplinktest.WaitFor(t, 30*time.Second, "scores of version 1", func() bool { return rg.scoredSince(0, "1") >= 3 })

	shadowArgs := func(version, sha string, size int, extra map[string]any) map[string]any {
		a := map[string]any{"model": "pump", "version": version, "sha256": sha, "size": size, "source": map[string]any{"kind": "mqtt"}, "mode": "shadow"}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}

	// Bad criteria are refused up front.
	zero := strings.Repeat("0", 64)
	rg.command("s0", fleet.VerbModelDeploy, shadowArgs("9", zero, 10, map[string]any{"promote_after": map[string]any{"windows": 0}}))
	rg.command("s1", fleet.VerbModelDeploy, map[string]any{"model": "pump", "version": "9", "sha256": zero, "size": 10,
		"source": map[string]any{"kind": "mqtt"}, "promote_after": map[string]any{"windows": 3}})
	rg.command("s2", fleet.VerbModelDiscard, map[string]any{"model": "pump"})
	for id, want := range map[string]string{"s0": `"promote_after.windows": must be positive`, "s1": `only for "mode": "shadow"`, "s2": "no version of it runs in shadow"} {
		if res := rg.final(id); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, want) {
			t.Errorf("%s: %+v, want rejected with %q", id, res, want)
		}
	}

	// A candidate whose warn threshold every score crosses: it disagrees
	// with the champion once its alert is raised.
	info := demomodel.Info()
	v2 := rg.makeBundle(bundleOpts{version: "2.0.0", th: &bundle.Thresholds{Warn: 1e-9, Alarm: info.Alarm, Raise: 2, Clear: 3}})
	rg.command("d2", fleet.VerbModelDeploy, shadowArgs("2.0.0", rg.publish(v2), len(v2), nil))
	res := rg.final("d2")
	if res.Status != fleet.ResultDone || res.Result["mode"] != "shadow" || res.Result["champion"] != "1" {
		t.Fatalf("shadow deploy: %+v", res)
	}
	uplinktest.WaitFor(t, 30*time.Second, "a shadow event over 8 windows", func() bool {
		feed.mu.Lock()
		defer feed.mu.Unlock()
		return len(feed.events) > 0 && feed.events[len(feed.events)-1].Data["windows"].(float64) >= 8
	})
	if m := rg.watch.model("pump"); m.Version != "1" || m.State != fleet.ModelActive {
		t.Errorf("champion during shadow: %+v", m)
	}
	uplinktest.WaitFor(t, 30*time.Second, "the shadow candidate in the status", func() bool {
		m := rg.watch.model("pump")
		return m.Shadow != nil && m.Shadow.Version == "2.0.0" && m.Shadow.Windows > 0
	})

	// The comparison agrees with the streams: the first N shadow scores
	// against the champion's scores of the same windows.
	feed.mu.Lock()
	ev := feed.events[len(feed.events)-1]
	shadow := append([]fleet.Score(nil), feed.scores...)
	feed.mu.Unlock()
	n := int(ev.Data["windows"].(float64))
	rg.mu.Lock()
	champ := map[time.Time]fleet.Score{}
	for _, s := range rg.scores {
		if s.Version != "1" {
			t.Errorf("champion score by version %s during shadow", s.Version)
		}
		champ[s.Window.End] = s
	}
	rg.mu.Unlock()
	uplinktest.WaitFor(t, 10*time.Second, "the shadow scores of the compared windows", func() bool {
		feed.mu.Lock()
		defer feed.mu.Unlock()
		shadow = append(shadow[:0], feed.scores...)
		return len(shadow) >= n
	})
	agree, maxDiff := 0, 0.0
	for _, s := range shadow[:n] {
		c, ok := champ[s.Window.End]
		if !ok {
			t.Fatalf("shadow score for window %v that the champion did not score", s.Window)
		}
		if s.Version != "2.0.0" || s.Score == nil {
			t.Fatalf("shadow score: %+v", s)
		}
		if (c.Alert == fleet.AlertOK) == (s.Alert == fleet.AlertOK) {
			agree++
		}
		maxDiff = max(maxDiff, math.Abs(*c.Score-*s.Score))
	}
	if got, want := ev.Data["agreement"].(float64), float64(agree)/float64(n); math.Abs(got-want) > 1e-12 {
		t.Errorf("reported agreement %v over %d windows, the streams say %v", got, n, want)
	}
	if agree == n {
		t.Errorf("candidate with warn 1e-9 agreed on all %d windows", n)
	}
	if p95 := ev.Data["p95_abs_diff"].(float64); p95 > maxDiff+1e-12 {
		t.Errorf("reported p95 |diff| %v above the largest difference in the streams %v", p95, maxDiff)
	}

	uplinktest.WaitFor(t, 10*time.Second, "the shadow agreement in the metrics", func() bool {
		feed.mu.Lock()
		defer feed.mu.Unlock()
		return feed.agreementMetric >= 0 && feed.agreementMetric < 1
	})

	// Discarded: the champion goes on alone.
	rg.command("x2", fleet.VerbModelDiscard, map[string]any{"model": "pump"})
	if res := rg.final("x2"); res.Status != fleet.ResultDone || res.Result["discarded"] != "2.0.0" {
		t.Fatalf("discard: %+v", res)
	}
	uplinktest.WaitFor(t, 10*time.Second, "no shadow in the status", func() bool { return rg.watch.model("pump").Shadow == nil })

	// Promoted by command: probation, then active.
	v3 := rg.makeBundle(bundleOpts{version: "3.0.0"})
	rg.command("d3", fleet.VerbModelDeploy, shadowArgs("3.0.0", rg.publish(v3), len(v3), nil))
	if res := rg.final("d3"); res.Status != fleet.ResultDone {
		t.Fatalf("shadow deploy 3.0.0: %+v", res)
	}
	rg.command("p3", fleet.VerbModelPromote, map[string]any{"model": "pump"})
	if res := rg.final("p3"); res.Status != fleet.ResultDone || res.Result["state"] != fleet.ModelProbation || res.Result["previous"] != "1" {
		t.Fatalf("promote shadow 3.0.0: %+v", res)
	}
	rg.waitState("3.0.0", fleet.ModelActive)

	// Promoted by the criteria.
	v4 := rg.makeBundle(bundleOpts{version: "4.0.0"})
	rg.command("d4", fleet.VerbModelDeploy, shadowArgs("4.0.0", rg.publish(v4), len(v4),
		map[string]any{"promote_after": map[string]any{"windows": 5, "min_agreement": 0.9, "max_p95_diff": 1e-6}}))
	if res := rg.final("d4"); res.Status != fleet.ResultDone {
		t.Fatalf("shadow deploy 4.0.0: %+v", res)
	}
	rg.waitState("4.0.0", fleet.ModelActive)

	// Gapless: every window scored once, one hop apart, across both swaps.
	rg.mu.Lock()
	defer rg.mu.Unlock()
	switches := 0
	for i := 1; i < len(rg.scores); i++ {
		prev, s := rg.scores[i-1], rg.scores[i]
		if s.Version != prev.Version {
			switches++
		}
		if hop := s.Window.Start.Sub(prev.Window.Start); hop != 250*time.Millisecond {
			t.Errorf("score %d (%s after %s): window starts %v after the previous one, want one hop", i, s.Version, prev.Version, hop)
		}
	}
	if switches != 2 {
		t.Errorf("%d version switches, want 2 (1 -> 3.0.0 -> 4.0.0)", switches)
	}
}

// BenchmarkShadowCPU measures the process CPU (getrusage) per champion
// window of a gateway at a 10 ms hop, alone and with a candidate in shadow
// (scored, compared and published): cpu-us/window each, and the
// difference, the cost of shadow mode. demo: the demo model beside
// itself. kws_dscnn (needs AXLE_CONFORMANCE_DIR): MLPerf Tiny's
// keyword-spotting DS-CNN, the int8 model as champion and the float one as
// candidate, each fed 490 raw samples of one simulated channel per window.
func BenchmarkShadowCPU(b *testing.B) {
	b.Run("demo", func(b *testing.B) {
		rg := shadowBenchRig(b)
		benchShadowCPU(b, rg, func(v string) bundleOpts { return bundleOpts{version: v, hop: 10 * time.Millisecond} })
	})
	b.Run("kws_dscnn", func(b *testing.B) {
		dir := os.Getenv("AXLE_CONFORMANCE_DIR")
		if dir == "" {
			b.Skip("AXLE_CONFORMANCE_DIR is not set: the keyword-spotting models are in the conformance corpus")
		}
		load := func(name string) (model, in []byte) {
			d := filepath.Join(dir, "mlperf_tiny", name)
			model, err := os.ReadFile(filepath.Join(d, "model.tflite"))
			if err == nil {
				in, err = os.ReadFile(filepath.Join(d, "in0.bin"))
			}
			if err != nil {
				b.Skipf("%s: %v", name, err)
			}
			return model, in
		}
		i8, i8In := load("kws_dscnn_int8")
		f32, f32In := load("kws_dscnn_float")
		info := demomodel.Info()
		win := bundle.Duration(time.Duration(float64(len(i8In)) / info.Rate * float64(time.Second)))
		input := &bundle.Input{Channels: info.Channels[:1], Window: win, Hop: bundle.Duration(10 * time.Millisecond)}
		ops := []string{"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
		rg := shadowBenchRig(b)
		champ := rg.makeBundle(bundleOpts{version: "1.1.0", model: i8, input: input, tvInput: i8In, ops: ops})
		rg.deploy("kws-champion", "1.1.0", rg.publish(champ), len(champ), map[string]any{"duration": "1ms", "windows": 1})
		if res := rg.final("kws-champion"); res.Status != fleet.ResultDone {
			b.Fatalf("deploy of the int8 champion: %+v", res)
		}
		rg.waitState("1.1.0", fleet.ModelActive)
		benchShadowCPU(b, rg, func(v string) bundleOpts {
			return bundleOpts{version: v, model: f32, input: input, tvInput: f32In, ops: ops}
		})
	})
}

// shadowBenchRig is an agent scoring the demo model at a 10 ms hop.
func shadowBenchRig(b *testing.B) *otaRig {
	rg := newOTARig(b, "shadow-bench")
	yaml := strings.Replace(rg.yaml(), "hop: 250ms", "hop: 10ms", 1)
	h := setupAgent(b, yaml, Options{OnScore: func(s fleet.Score) {
		rg.mu.Lock()
		rg.scores = append(rg.scores, s)
		rg.mu.Unlock()
	}})
	h.a.fetchTune = func(o *artifact.Options) { o.MetaTimeout, o.ChunkTimeout, o.Requests = 5*time.Second, 5*time.Second, 1 }
	h.start(b)
	uplinktest.WaitFor(b, 30*time.Second, "first scores", func() bool { return rg.scoredSince(0, "1") >= 10 })
	return rg
}

// benchShadowCPU measures CPU per window alone, then with candidate(v) in
// shadow, b.N times.
func benchShadowCPU(b *testing.B, rg *otaRig, candidate func(version string) bundleOpts) {
	const windows = 500
	// perWindow is the CPU per window over the next windows windows.
	perWindow := func() float64 {
		i0, c0 := rg.nScores(), uplinktest.CPUTime()
		uplinktest.WaitFor(b, 60*time.Second, "windows", func() bool { return rg.nScores()-i0 >= windows })
		c1, i1 := uplinktest.CPUTime(), rg.nScores()
		return float64((c1 - c0).Microseconds()) / float64(i1-i0)
	}
	b.ResetTimer()
	var alone, shadow float64
	for i := range b.N {
		alone += perWindow()
		v := fmt.Sprintf("2.%d.0", i)
		raw := rg.makeBundle(candidate(v))
		id := "bench-" + v
		rg.command(id, fleet.VerbModelDeploy, map[string]any{"model": "pump", "version": v, "sha256": rg.publish(raw), "size": len(raw),
			"source": map[string]any{"kind": "mqtt"}, "mode": "shadow"})
		if res := rg.final(id); res.Status != fleet.ResultDone {
			b.Fatalf("shadow deploy: %+v", res)
		}
		shadow += perWindow()
		if st := rg.watch.model("pump").Shadow; st != nil && st.Skipped > 0 {
			b.Logf("candidate skipped %d windows", st.Skipped)
		}
		rg.command("discard-"+v, fleet.VerbModelDiscard, map[string]any{"model": "pump"})
		if res := rg.final("discard-" + v); res.Status != fleet.ResultDone {
			b.Fatalf("discard: %+v", res)
		}
	}
	b.ReportMetric(alone/float64(b.N), "cpu-us/window-alone")
	b.ReportMetric(shadow/float64(b.N), "cpu-us/window-shadow")
	b.ReportMetric((shadow-alone)/float64(b.N), "cpu-us/window-added")
}
