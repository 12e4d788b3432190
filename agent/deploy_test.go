package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/preprocess"
	"github.com/axle-edge/axle/models/store"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/trust"
)

// otaRig is a broker, a fleet backend watching one device, a publisher of
// artifacts and a signing key: the operator's side of a deployment.
type otaRig struct {
	t        testing.TB
	device   string
	url      string
	stateDir string
	sk       trust.SecretKey
	pubKey   string
	pub      *uplink.Client
	cons     *uplinktest.Consumer
	backend  resultLog
	watch    statusWatch

	// bundleOnly configures model pump as `bundle: pump`, no file.
	bundleOnly bool

	mu     sync.Mutex
	scores []fleet.Score
}

func newOTARig(t testing.TB, device string) *otaRig {
	t.Helper()
	b := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	pk, sk, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rg := &otaRig{t: t, device: device, url: b.URL(), stateDir: t.TempDir(), sk: sk, pubKey: pk.String()}
	rg.cons = uplinktest.NewConsumer(t, rg.url, device+"-backend", func(topic string, payload []byte) {
		rg.backend.handle(topic, payload)
		rg.watch.handle(topic, payload)
	}, "axle/"+device+"/#")
	c, err := uplink.New(uplink.Config{Broker: rg.url, ClientID: device + "-publisher"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := c.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	rg.pub = c
	return rg
}

// yaml is the device's config: the demo model from the binary as version
// "1" of model pump, bundles trusted from rg's key, a short probation.
func (rg *otaRig) yaml() string {
	info := demomodel.Info()
	if rg.bundleOnly {
		return fmt.Sprintf(`device: %s
state_dir: %q
mqtt: {broker: %q}
trust: {model_keys: [%q]}
probation: {duration: 1s, windows: 6}
sensors:
  - {name: pump, driver: sim, rate: %g, options: {seed: 7, realtime: true}}
models:
  - {name: pump, bundle: pump, sensor: pump}
`, rg.device, rg.stateDir, rg.url, rg.pubKey, info.Rate)
	}
	return fmt.Sprintf(`device: %s
state_dir: %q
mqtt: {broker: %q}
trust: {model_keys: [%q]}
probation: {duration: 1s, windows: 6}
sensors:
  - name: pump
    driver: sim
    rate: %g
    options: {seed: 7, realtime: true}
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
`, rg.device, rg.stateDir, rg.url, rg.pubKey, info.Rate, info.Window, strings.Join(info.Channels, ", "),
		strings.Join(info.Features, ", "), info.Warn, info.Alarm)
}

// start sets up and runs an agent for the rig, collecting its scores.
func (rg *otaRig) start() *runHarness {
	return rg.startTuned(func(o *artifact.Options) { o.MetaTimeout, o.ChunkTimeout, o.Requests = 2*time.Second, 2*time.Second, 1 })
}

func (rg *otaRig) startTuned(tune func(*artifact.Options)) *runHarness {
	h := setupAgent(rg.t, rg.yaml(), Options{OnScore: func(s fleet.Score) {
		rg.mu.Lock()
		rg.scores = append(rg.scores, s)
		rg.mu.Unlock()
	}, SpoolPoll: 50 * time.Millisecond})
	h.a.fetchTune = tune
	h.start(rg.t)
	return h
}

// bundleOpts shape a test bundle.
type bundleOpts struct {
	version  string
	normStd  float64 // 0: the demo's preprocessing without normalisation
	wrongTV  bool    // the test vector's expected output is off
	signWith *trust.SecretKey
	hop      time.Duration // 0: 250ms
	// model replaces the demo model; input says what feeds it, tvInput is
	// its test vector's input tensor and ops its manifest's op list.
	model   []byte
	input   *bundle.Input
	tvInput []byte
	ops     []string
	// th replaces the demo's alert thresholds.
	th *bundle.Thresholds
}

// makeBundle packs the demo model as model pump, version o.version, with a
// test vector whose expected output the real runtime computed, signed.
func (rg *otaRig) makeBundle(o bundleOpts) []byte {
	t := rg.t
	t.Helper()
	info := demomodel.Info()
	win, err := time.ParseDuration(info.Window)
	if err != nil {
		t.Fatal(err)
	}
	modelBytes, ops := demomodel.TFLite(), []string{"FULLY_CONNECTED"}
	if o.model != nil {
		modelBytes, ops = o.model, o.ops
	}
	m, err := tflite.Load(modelBytes, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := o.tvInput
	if in == nil {
		in = make([]byte, m.Inputs()[0].Bytes)
		for i := 0; i+4 <= len(in); i += 4 {
			binary.LittleEndian.PutUint32(in[i:], math.Float32bits(float32(i%7)*0.1))
		}
	}
	copy(m.Input(0), in)
	if err := m.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, err := preprocess.Read(nil, m.Output(0), m.Outputs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if o.wrongTV {
		want[0] = want[0]*1.5 + 1
	}
	maxAbs := 1.0
	for _, w := range want {
		maxAbs = max(maxAbs, math.Abs(w))
	}
	hop := 250 * time.Millisecond
	if o.hop > 0 {
		hop = o.hop
	}
	man := &bundle.Manifest{
		V: 1, Name: "pump", Version: o.version, Created: time.Now().UTC().Truncate(time.Second),
		Runtime: bundle.Runtime{Ops: ops, ArenaBytes: 1 << 16},
		Input: bundle.Input{Channels: info.Channels, Window: bundle.Duration(win), Hop: bundle.Duration(hop),
			Features: info.Features},
		Output:      bundle.Output{Kind: bundle.OutputScore, Thresholds: &bundle.Thresholds{Warn: info.Warn, Alarm: info.Alarm, Raise: 2, Clear: 3}},
		TestVectors: []bundle.TestVector{{Input: "tv0.bin", Expected: want, Tolerance: 1e-4 * maxAbs}},
		Lineage:     bundle.Lineage{Parent: "1", TrainingRun: "run-" + o.version},
	}
	if o.input != nil {
		man.Input = *o.input
	}
	if o.th != nil {
		man.Output.Thresholds = o.th
	}
	if o.normStd > 0 {
		n := len(info.Channels) * len(info.Features)
		norm := &bundle.Normalize{}
		for range n {
			norm.Mean, norm.Std = append(norm.Mean, 0), append(norm.Std, o.normStd)
		}
		man.Input.Normalize = norm
	}
	var buf bytes.Buffer
	if _, err := bundle.Pack(&buf, man, bundle.File{Name: "model.tflite", Data: modelBytes}, bundle.File{Name: "tv0.bin", Data: in}); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), bundle.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sk := rg.sk
	if o.signWith != nil {
		sk = *o.signWith
	}
	if err := b.Sign(sk); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := b.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// publish puts a bundle on the broker as retained chunks (small ones, so
// that a transfer has several) and returns its sha256.
func (rg *otaRig) publish(raw []byte) string {
	return rg.publishChunks(raw, 16<<10).SHA256
}

func (rg *otaRig) publishChunks(raw []byte, chunk int64) artifact.Meta {
	rg.t.Helper()
	meta, err := artifact.Publish(context.Background(), rg.pub, "axle", bytes.NewReader(raw), int64(len(raw)),
		artifact.PublishOptions{ChunkSize: chunk, Name: "pump", Kind: "model"})
	if err != nil {
		rg.t.Fatal(err)
	}
	return meta
}

// spoolWrite hands a bundle to the agent as `axle model install` does:
// a hidden temp file renamed into the spool.
func (rg *otaRig) spoolWrite(name string, raw []byte) {
	rg.t.Helper()
	spool := filepath.Join(rg.stateDir, "spool")
	if err := os.MkdirAll(spool, 0o750); err != nil {
		rg.t.Fatal(err)
	}
	tmp := filepath.Join(spool, "."+name+".axb.tmp")
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		rg.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(spool, name+".axb")); err != nil {
		rg.t.Fatal(err)
	}
}

// command sends a command to the device.
func (rg *otaRig) command(id, verb string, args any) {
	rg.t.Helper()
	a, err := json.Marshal(args)
	if err != nil {
		rg.t.Fatal(err)
	}
	c, _ := json.Marshal(map[string]any{"v": 1, "id": id, "verb": verb, "args": json.RawMessage(a),
		"expires_at": time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)})
	rg.cons.Publish(rg.t, "axle/"+rg.device+"/cmd", false, c)
}

func (rg *otaRig) deploy(id, version, sha string, size int, prob map[string]any) {
	args := map[string]any{"model": "pump", "version": version, "sha256": sha, "size": size, "source": map[string]any{"kind": "mqtt"}}
	if prob != nil {
		args["probation"] = prob
	}
	rg.command(id, fleet.VerbModelDeploy, args)
}

// final waits for the final result of command id.
func (rg *otaRig) final(id string) fleet.Result {
	rg.t.Helper()
	var res fleet.Result
	uplinktest.WaitFor(rg.t, 60*time.Second, "the final result of "+id, func() bool {
		for _, r := range rg.backend.byID(id) {
			if r.Status != fleet.ResultAccepted {
				res = r
				return true
			}
		}
		return false
	})
	return res
}

// scoredSince is how many windows version scored after score index i.
func (rg *otaRig) scoredSince(i int, version string) int {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	n := 0
	for _, s := range rg.scores[min(i, len(rg.scores)):] {
		if s.Version == version {
			n++
		}
	}
	return n
}

func (rg *otaRig) nScores() int {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return len(rg.scores)
}

func (rg *otaRig) waitState(version, state string) {
	rg.t.Helper()
	uplinktest.WaitFor(rg.t, 60*time.Second, fmt.Sprintf("status: pump %s %s", version, state), func() bool {
		m := rg.watch.model("pump")
		return m.Version == version && m.State == state
	})
}

// The whole life of model versions on one gateway over a real broker:
// a deploy over MQTT chunks swaps without a gap and passes probation; a
// bundle whose output turns non-finite and one that breaks its latency SLO
// are rolled back automatically; an untrusted key, a failed self-test and
// an unknown artifact are refused with the running version still scoring;
// a spooled bundle installs offline; a restart runs the store's version.
func TestModelDeployLifecycle(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "ota-pump")
	h := rg.start()
	uplinktest.WaitFor(t, 30*time.Second, "scores of version 1", func() bool { return rg.scoredSince(0, "1") >= 3 })

	// Commands that cannot run are rejected with the reason.
	zero := strings.Repeat("0", 64)
	rg.command("x1", fleet.VerbModelDeploy, map[string]any{"model": "pump", "version": "2", "sha256": zero, "size": 10, "source": map[string]any{"kind": "mqtt"}, "mode": "canary"})
	rg.command("x2", fleet.VerbModelDeploy, map[string]any{"model": "fan", "version": "2", "sha256": zero, "size": 10, "source": map[string]any{"kind": "mqtt"}})
	rg.command("x3", fleet.VerbModelDeploy, map[string]any{"model": "pump", "version": "2", "sha256": "abc", "size": 10, "source": map[string]any{"kind": "mqtt"}})
	rg.command("x4", fleet.VerbModelDeploy, map[string]any{"model": "pump", "version": "2", "sha256": zero, "size": int64(1) << 40, "source": map[string]any{"kind": "mqtt"}})
	rg.command("x5", fleet.VerbModelPromote, map[string]any{"model": "pump"})
	rg.command("x6", fleet.VerbModelRollback, map[string]any{"model": "pump"})
	for id, want := range map[string]string{
		"x1": `args field "mode": "canary" is not supported`, "x2": `args field "model": "fan" is not a configured model`,
		"x3": `args field "sha256"`, "x4": "over models_store.max_bundle_bytes", "x5": "no version of this model is on probation",
	} {
		if res := rg.final(id); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, want) {
			t.Errorf("%s: %+v, want rejected with %q", id, res, want)
		}
	}
	if res := rg.final("x6"); res.Status != fleet.ResultFailed || !strings.Contains(res.Error, "no previous version") {
		t.Errorf("rollback without a deployment: %+v", res)
	}

	// 1. A good version over MQTT chunks.
	v2 := rg.makeBundle(bundleOpts{version: "2.0.0"})
	rg.deploy("d2", "2.0.0", rg.publish(v2), len(v2), nil)
	res := rg.final("d2")
	if res.Status != fleet.ResultDone {
		t.Fatalf("deploy 2.0.0: %+v", res)
	}
	if res.Result["version"] != "2.0.0" || res.Result["previous"] != "1" || res.Result["key_id"] != rg.sk.ID() {
		t.Errorf("deploy 2.0.0 result: %+v", res.Result)
	}
	if st, _ := res.Result["self_test"].(map[string]any); st["vectors"] != float64(1) {
		t.Errorf("self_test figures: %+v", res.Result["self_test"])
	}
	if acc := rg.backend.byID("d2"); len(acc) != 2 || acc[0].Status != fleet.ResultAccepted {
		t.Errorf("deploy results: %+v, want accepted then done", acc)
	}
	rg.waitState("2.0.0", fleet.ModelActive) // probation passed: promoted
	if m := rg.watch.model("pump"); m.Previous != "1" {
		t.Errorf("status after promotion: %+v", m)
	}

	// Gapless: across the swap, every window was scored once, by one
	// version, one hop after the previous one.
	rg.mu.Lock()
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
	rg.mu.Unlock()
	if switches != 1 {
		t.Errorf("%d version switches, want 1", switches)
	}

	// 2. A bundle whose preprocessing blows the input up to Inf: the
	// non-finite gate trips and 2.0.0 comes back.
	v3 := rg.makeBundle(bundleOpts{version: "3.0.0", normStd: 1e-300})
	rg.deploy("d3", "3.0.0", rg.publish(v3), len(v3), nil)
	if res := rg.final("d3"); res.Status != fleet.ResultDone {
		t.Fatalf("deploy 3.0.0 (passes its self-test, fails in probation): %+v", res)
	}
	rg.waitState("2.0.0", fleet.ModelRolledBack)
	if m := rg.watch.model("pump"); m.Previous != "3.0.0" || m.Gate != "non_finite_output" || !strings.Contains(m.Error, "non_finite_output") {
		t.Errorf("status after the NaN rollback: %+v", m)
	}

	// 3. A latency SLO no model can meet: rolled back as well.
	v4 := rg.makeBundle(bundleOpts{version: "4.0.0"})
	rg.deploy("d4", "4.0.0", rg.publish(v4), len(v4), map[string]any{"latency_p99": "1ns"})
	if res := rg.final("d4"); res.Status != fleet.ResultDone {
		t.Fatalf("deploy 4.0.0: %+v", res)
	}
	uplinktest.WaitFor(t, 60*time.Second, "the latency rollback", func() bool {
		m := rg.watch.model("pump")
		return m.Version == "2.0.0" && m.Previous == "4.0.0" && m.Gate == "latency_p99" && strings.Contains(m.Error, "latency_p99")
	})

	// 4. Refusals: each leaves 2.0.0 scoring.
	_, otherSK, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	v5 := rg.makeBundle(bundleOpts{version: "5.0.0", signWith: &otherSK})
	rg.deploy("d5", "5.0.0", rg.publish(v5), len(v5), nil)
	v6 := rg.makeBundle(bundleOpts{version: "6.0.0", wrongTV: true})
	sha6 := rg.publish(v6)
	missing := sha256.Sum256([]byte("never published"))
	refusals := map[string]string{
		"d5": "verify: ",
		"d6": "self_test: test_vectors[0]",
		"d7": "fetch: ",
	}
	if res := rg.final("d5"); res.Status != fleet.ResultFailed || !strings.HasPrefix(res.Error, refusals["d5"]) || !strings.Contains(res.Error, otherSK.ID()) {
		t.Errorf("untrusted key: %+v, want failed naming the key id %s", res, otherSK.ID())
	}
	rg.deploy("d6", "6.0.0", sha6, len(v6), nil)
	rg.final("d6")
	rg.deploy("d7", "7.0.0", hex.EncodeToString(missing[:]), len(v6), nil)
	for _, id := range []string{"d6", "d7"} {
		if res := rg.final(id); res.Status != fleet.ResultFailed || !strings.HasPrefix(res.Error, refusals[id]) {
			t.Errorf("%s: %+v, want failed starting %q", id, res, refusals[id])
		}
	}
	n := rg.nScores()
	uplinktest.WaitFor(t, 30*time.Second, "2.0.0 still scoring", func() bool { return rg.scoredSince(n, "2.0.0") >= 3 })

	// 5. A second deploy while one is on probation is rejected.
	v8 := rg.makeBundle(bundleOpts{version: "8.0.0"})
	sha8 := rg.publish(v8)
	rg.deploy("d8", "8.0.0", sha8, len(v8), map[string]any{"duration": "1h"})
	if res := rg.final("d8"); res.Status != fleet.ResultDone {
		t.Fatalf("deploy 8.0.0: %+v", res)
	}
	rg.waitState("8.0.0", fleet.ModelProbation)
	rg.deploy("d8b", "8.0.1", sha8, len(v8), nil)
	if res := rg.final("d8b"); res.Status != fleet.ResultRejected || !strings.Contains(res.Error, "on probation") {
		t.Errorf("deploy during probation: %+v", res)
	}
	rg.command("p8", fleet.VerbModelPromote, map[string]any{"model": "pump"})
	if res := rg.final("p8"); res.Status != fleet.ResultDone {
		t.Errorf("model.promote: %+v", res)
	}
	rg.waitState("8.0.0", fleet.ModelActive)

	// 6. Offline install through the spool.
	v9 := rg.makeBundle(bundleOpts{version: "9.0.0"})
	spool := filepath.Join(rg.stateDir, "spool")
	rg.spoolWrite("x", v9)
	var spooled fleet.Result
	uplinktest.WaitFor(t, 60*time.Second, "the spool result", func() bool {
		b, err := os.ReadFile(filepath.Join(spool, "x.result.json"))
		return err == nil && json.Unmarshal(b, &spooled) == nil
	})
	if spooled.Status != fleet.ResultDone || spooled.Result["version"] != "9.0.0" {
		t.Errorf("spool result: %+v", spooled)
	}
	uplinktest.WaitFor(t, 10*time.Second, "the spooled bundle moved to done/", func() bool {
		_, err := os.Stat(filepath.Join(spool, "done", "x.axb"))
		return err == nil
	})
	rg.waitState("9.0.0", fleet.ModelActive)

	// The audit log has every step with the key id and lineage.
	hist, err := store.ReadHistory(filepath.Join(rg.stateDir, "models"), store.Filter{Model: "pump"})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range hist {
		actions[e.Action]++
		if e.Action == store.ActionInstall && (e.KeyID != rg.sk.ID() || e.Lineage["training_run"] != "run-"+e.Version) {
			t.Errorf("install entry without key id or lineage: %+v", e)
		}
		if e.Action == store.ActionGate && (e.KeyID != rg.sk.ID() || e.Details["gate"] == nil || e.Details["observed"] == nil) {
			t.Errorf("gate entry without key id or figures: %+v", e)
		}
	}
	if actions[store.ActionGate] != 2 || actions[store.ActionRollback] != 2 || actions[store.ActionPromote] < 3 || actions[store.ActionActivate] != 5 || actions[store.ActionFail] != 1 {
		t.Errorf("audit actions %v, want 2 gates, 2 rollbacks, 3+ promotions, 5 activations (2, 3, 4, 8, 9), 1 failed self-test", actions)
	}

	// 7. An operator's rollback returns to 8.0.0.
	rg.command("rb", fleet.VerbModelRollback, map[string]any{"model": "pump"})
	if res := rg.final("rb"); res.Status != fleet.ResultDone || res.Result["version"] != "8.0.0" {
		t.Fatalf("model.rollback: %+v", res)
	}
	rg.waitState("8.0.0", fleet.ModelRolledBack)

	// 8. A restart runs the store's active version, re-verified.
	h.stop(t, context.Canceled)
	h2 := rg.start()
	if cur := h2.a.pipes[0].runners[0].Current(); cur.Version != "8.0.0" || cur.State != fleet.ModelActive || cur.Previous != "9.0.0" {
		t.Fatalf("after restart: %+v", cur)
	}
	n = rg.nScores()
	uplinktest.WaitFor(t, 30*time.Second, "8.0.0 scoring after the restart", func() bool { return rg.scoredSince(n, "8.0.0") >= 2 })
}

// An agent stopped in the middle of a transfer resumes the deployment at
// its next start, fetching only the chunks it did not have; a version on
// probation is watched again after a restart; and a torn active bundle
// brings the agent back on the previous complete version.
func TestDeployResumesAfterRestart(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "ota-resume")
	slow := func(o *artifact.Options) { o.ChunkTimeout, o.Requests = 30*time.Second, 3 }
	h := rg.startTuned(slow)
	uplinktest.WaitFor(t, 30*time.Second, "scores of version 1", func() bool { return rg.scoredSince(0, "1") >= 2 })

	// Only the first chunks are on the broker: the transfer stalls there.
	v2 := rg.makeBundle(bundleOpts{version: "2.0.0"})
	meta := rg.publishChunks(v2, 1<<10)
	if meta.Chunks < 6 {
		t.Fatalf("bundle has %d chunks; the test needs several", meta.Chunks)
	}
	const have = 3
	for n := have; n < meta.Chunks; n++ {
		rg.cons.Publish(t, fmt.Sprintf("axle/artifacts/%s/%d", meta.SHA256, n), true, nil)
	}
	rg.deploy("r1", "2.0.0", meta.SHA256, len(v2), nil)
	// progress reports whether a transfer event at or after since meets cond.
	progress := func(since time.Time, cond func(done float64) bool) bool {
		rg.watch.mu.Lock()
		defer rg.watch.mu.Unlock()
		for _, e := range rg.watch.events {
			if e.Kind == fleet.EventDeployment && e.Data["step"] == "fetch" && !e.TS.Before(since) {
				done, _ := e.Data["chunks_done"].(float64)
				if cond(done) {
					return true
				}
			}
		}
		return false
	}
	uplinktest.WaitFor(t, 30*time.Second, "the first chunks fetched", func() bool {
		return progress(time.Time{}, func(done float64) bool { return done >= have })
	})
	uplinktest.WaitFor(t, 30*time.Second, "the transfer's progress in the status", func() bool {
		d := rg.watch.model("pump").Deployment
		return d != nil && d.Version == "2.0.0" && d.Step == "fetch" && d.Percent >= 100*have/int64(meta.Chunks)
	})
	h.stop(t, context.Canceled)
	if rs := rg.backend.byID("r1"); len(rs) != 1 || rs[0].Status != fleet.ResultAccepted {
		t.Fatalf("results before the restart: %+v, want only accepted", rs)
	}

	// The rest arrives while the agent is down; the next start resumes.
	rg.publishChunks(v2, 1<<10)
	mark := time.Now()
	h2 := rg.startTuned(slow)
	if res := rg.final("r1"); res.Status != fleet.ResultDone || res.Result["version"] != "2.0.0" {
		t.Fatalf("resumed deployment: %+v", res)
	}
	// The resumed transfer's first report already counts the chunks that
	// were on disk.
	if progress(mark, func(done float64) bool { return done < have }) {
		t.Errorf("the resumed transfer reported fewer than the %d chunks it had", have)
	}
	if !progress(mark, func(done float64) bool { return done == float64(meta.Chunks) }) {
		t.Errorf("no transfer report of the resumed fetch")
	}
	rg.waitState("2.0.0", fleet.ModelActive)
	if d := rg.watch.model("pump").Deployment; d != nil {
		t.Errorf("status still shows a deployment after it ended: %+v", d)
	}
	v3 := rg.makeBundle(bundleOpts{version: "3.0.0"})
	rg.deploy("r3", "3.0.0", rg.publish(v3), len(v3), map[string]any{"duration": "1h"})
	if res := rg.final("r3"); res.Status != fleet.ResultDone {
		t.Fatalf("deploy 3.0.0: %+v", res)
	}
	rg.waitState("3.0.0", fleet.ModelProbation)
	h2.stop(t, context.Canceled)

	// Still on probation after a restart, and watched again.
	hp := rg.start()
	if cur := hp.a.pipes[0].runners[0].Current(); cur.Version != "3.0.0" || cur.State != fleet.ModelProbation || cur.Previous != "2.0.0" {
		t.Fatalf("after a restart during probation: %+v", cur)
	}
	rg.command("p3", fleet.VerbModelPromote, map[string]any{"model": "pump"})
	if res := rg.final("p3"); res.Status != fleet.ResultDone {
		t.Fatalf("model.promote after the restart: %+v", res)
	}
	rg.waitState("3.0.0", fleet.ModelActive)
	hp.stop(t, context.Canceled)

	// A crash tore the active bundle: the next start runs the previous
	// complete version, re-verified, and tells the fleet.
	path := filepath.Join(rg.stateDir, "models", "pump", "versions", "3.0.0", "bundle.axb")
	if err := os.Truncate(path, 100); err != nil {
		t.Fatal(err)
	}
	h3 := rg.start()
	if cur := h3.a.pipes[0].runners[0].Current(); cur.Version != "2.0.0" || cur.State != fleet.ModelActive {
		t.Fatalf("after the torn bundle: %+v, want 2.0.0 active", cur)
	}
	n := rg.nScores()
	uplinktest.WaitFor(t, 30*time.Second, "2.0.0 scoring after the repair", func() bool { return rg.scoredSince(n, "2.0.0") >= 2 })
	uplinktest.WaitFor(t, 30*time.Second, "the repair event", func() bool {
		rg.watch.mu.Lock()
		defer rg.watch.mu.Unlock()
		for _, e := range rg.watch.events {
			if e.Kind == fleet.EventDeployment && e.Data["step"] == "recover" && e.Data["from"] == "3.0.0" {
				return true
			}
		}
		return false
	})
}

// A model bound only to a bundle waits, failed with the reason, until a
// version arrives (here through the offline spool); a first store version
// of a model from a config file that trips a gate goes back to the file's
// model, also after a restart.
func TestDeployFirstVersion(t *testing.T) {
	t.Parallel()
	t.Run("bundle only", func(t *testing.T) {
		t.Parallel()
		rg := newOTARig(t, "ota-first")
		rg.bundleOnly = true
		h := rg.start()
		if cur := h.a.pipes[0].runners[0].Current(); cur.State != fleet.ModelFailed || !strings.Contains(cur.Err, "no installed version") {
			t.Errorf("before any deployment: %+v", cur)
		}
		v1 := rg.makeBundle(bundleOpts{version: "1.0.0"})
		spool := filepath.Join(rg.stateDir, "spool")
		rg.spoolWrite("a", v1)
		var res fleet.Result
		uplinktest.WaitFor(t, 60*time.Second, "the spool result", func() bool {
			b, err := os.ReadFile(filepath.Join(spool, "a.result.json"))
			return err == nil && json.Unmarshal(b, &res) == nil
		})
		if res.Status != fleet.ResultDone || res.Result["previous"] != "" {
			t.Errorf("spool result: %+v", res)
		}
		rg.waitState("1.0.0", fleet.ModelActive)
		// An untrusted bundle in the spool is refused with the reason.
		_, otherSK, err := trust.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rg.spoolWrite("b", rg.makeBundle(bundleOpts{version: "2.0.0", signWith: &otherSK}))
		uplinktest.WaitFor(t, 60*time.Second, "the second spool result", func() bool {
			b, err := os.ReadFile(filepath.Join(spool, "b.result.json"))
			return err == nil && json.Unmarshal(b, &res) == nil
		})
		if res.Status != fleet.ResultFailed || !strings.HasPrefix(res.Error, "verify: ") || !strings.Contains(res.Error, otherSK.ID()) {
			t.Errorf("untrusted spool bundle: %+v", res)
		}
		n := rg.nScores()
		uplinktest.WaitFor(t, 30*time.Second, "1.0.0 scoring", func() bool { return rg.scoredSince(n, "1.0.0") >= 2 })

		// A version with another hop brings its own windower: it starts
		// windowing at the swap, so its windows follow the last one of
		// 1.0.0 without overlapping the swap, at its own hop.
		rg.spoolWrite("c", rg.makeBundle(bundleOpts{version: "3.0.0", hop: 500 * time.Millisecond}))
		uplinktest.WaitFor(t, 60*time.Second, "3 windows of 3.0.0", func() bool { return rg.scoredSince(0, "3.0.0") >= 3 })
		rg.mu.Lock()
		var last1 time.Time
		var v3 []fleet.Score
		for _, s := range rg.scores {
			switch s.Version {
			case "1.0.0":
				if len(v3) > 0 {
					t.Errorf("a 1.0.0 window after the swap to 3.0.0")
				}
				last1 = s.Window.Start
			case "3.0.0":
				v3 = append(v3, s)
			}
		}
		rg.mu.Unlock()
		if !v3[0].Window.Start.After(last1) {
			t.Errorf("first 3.0.0 window starts %v, not after the last 1.0.0 window (%v)", v3[0].Window.Start, last1)
		}
		for i := 1; i < len(v3); i++ {
			if hop := v3[i].Window.Start.Sub(v3[i-1].Window.Start); hop != 500*time.Millisecond {
				t.Errorf("3.0.0 window %d starts %v after the previous one, want its hop 500ms", i, hop)
			}
		}
	})
	t.Run("trips over a file model", func(t *testing.T) {
		t.Parallel()
		rg := newOTARig(t, "ota-firsttrip")
		h := rg.start()
		uplinktest.WaitFor(t, 30*time.Second, "scores of version 1", func() bool { return rg.scoredSince(0, "1") >= 2 })
		bad := rg.makeBundle(bundleOpts{version: "2.0.0", normStd: 1e-300})
		rg.deploy("f2", "2.0.0", rg.publish(bad), len(bad), nil)
		if res := rg.final("f2"); res.Status != fleet.ResultDone || res.Result["previous"] != "1" {
			t.Fatalf("deploy: %+v", res)
		}
		rg.waitState("1", fleet.ModelRolledBack)
		h.stop(t, context.Canceled)
		h2 := rg.start()
		if cur := h2.a.pipes[0].runners[0].Current(); cur.Version != "1" || cur.State != fleet.ModelActive {
			t.Errorf("after restart: %+v, want the configured file's version 1", cur)
		}
		n := rg.nScores()
		uplinktest.WaitFor(t, 30*time.Second, "version 1 scoring after the restart", func() bool { return rg.scoredSince(n, "1") >= 2 })
	})
}

// Deploy args are untrusted bytes: decoding and applying them never
// panics, and what passes is a valid probation.
func FuzzDeployArgs(f *testing.F) {
	f.Add([]byte(`{"model":"pump","version":"2","sha256":"` + strings.Repeat("a", 64) + `","size":10,"source":{"kind":"mqtt"}}`))
	f.Add([]byte(`{"model":"pump","probation":{"duration":"10m","windows":600,"latency_p99":"50ms","max_psi":0.25,"max_alert_rate":0.5}}`))
	f.Add([]byte(`{"probation":{"duration":"-1s","max_alert_rate":7}}`))
	f.Add([]byte(`{"source":{"kind":"https","url":"https://x"}} trailing`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var args deployArgs
		if decodeArgs(b, &args) != nil {
			return
		}
		base := config.Probation{Duration: time.Minute, Windows: 10}
		p, err := args.Probation.apply(base)
		if err == nil {
			if err := p.Validate("p"); err != nil {
				t.Fatalf("apply accepted an invalid probation %+v: %v", p, err)
			}
		}
	})
}

// A chunk altered on the broker is refused at the fetch step and the
// running version keeps scoring.
func TestDeployRefusesTamperedChunk(t *testing.T) {
	t.Parallel()
	rg := newOTARig(t, "ota-tamper")
	rg.start()
	uplinktest.WaitFor(t, 30*time.Second, "scores of version 1", func() bool { return rg.scoredSince(0, "1") >= 2 })
	v2 := rg.makeBundle(bundleOpts{version: "2.0.0"})
	meta := rg.publishChunks(v2, 1<<10)
	evil := bytes.Repeat([]byte{0x5a}, 1<<10)
	rg.cons.Publish(t, fmt.Sprintf("axle/artifacts/%s/1", meta.SHA256), true, evil)
	rg.deploy("t2", "2.0.0", meta.SHA256, len(v2), nil)
	if res := rg.final("t2"); res.Status != fleet.ResultFailed || !strings.HasPrefix(res.Error, "fetch: ") || !strings.Contains(res.Error, "chunk 1") {
		t.Errorf("tampered chunk: %+v, want failed at fetch naming chunk 1", res)
	}
	if cur := rg.watch.model("pump"); cur.Version != "1" {
		t.Errorf("status after the refusal: %+v", cur)
	}
	n := rg.nScores()
	uplinktest.WaitFor(t, 30*time.Second, "version 1 still scoring", func() bool { return rg.scoredSince(n, "1") >= 2 })
}

// BenchmarkDeployToActive measures a deployment of the demo model bundle
// over MQTT chunks to a local Mosquitto, from the command to the done
// result (fetch, verify, install, load, self-test, swap, activate), and
// reports the swap's wait for the window boundary (swap-ms).
// BenchmarkDeployToActive measures model.deploy from command to the done
// result (fetch over MQTT, verify, install, self-test, swap, activate) for
// the demo model and, with AXLE_CONFORMANCE_DIR, MLPerf Tiny's int8
// keyword-spotting model fed 490 raw samples of one channel; swap-ms is the
// scoring loop's wait for the window boundary.
func BenchmarkDeployToActive(b *testing.B) {
	b.Run("demo", func(b *testing.B) { benchDeploy(b, bundleOpts{}) })
	b.Run("kws_dscnn_int8", func(b *testing.B) {
		dir := os.Getenv("AXLE_CONFORMANCE_DIR")
		if dir == "" {
			b.Skip("AXLE_CONFORMANCE_DIR is not set")
		}
		kws := filepath.Join(dir, "mlperf_tiny", "kws_dscnn_int8")
		model, err := os.ReadFile(filepath.Join(kws, "model.tflite"))
		if err != nil {
			b.Fatal(err)
		}
		in, err := os.ReadFile(filepath.Join(kws, "in0.bin"))
		if err != nil {
			b.Fatal(err)
		}
		info := demomodel.Info()
		win := bundle.Duration(time.Duration(float64(len(in)) / info.Rate * float64(time.Second)))
		input := &bundle.Input{Channels: info.Channels[:1], Window: win, Hop: win}
		benchDeploy(b, bundleOpts{model: model, input: input, tvInput: in,
			ops: []string{"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}})
	})
}

func benchDeploy(b *testing.B, o bundleOpts) {
	rg := newOTARig(b, "ota-bench")
	rg.start()
	uplinktest.WaitFor(b, 30*time.Second, "first scores", func() bool { return rg.scoredSince(0, "1") >= 1 })
	var swapMS float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		o.version = fmt.Sprintf("1.%d.0", i+1)
		raw := rg.makeBundle(o)
		sha := rg.publish(raw)
		id := "bench-" + o.version
		b.StartTimer()
		rg.deploy(id, o.version, sha, len(raw), map[string]any{"duration": "1ms", "windows": 1})
		res := rg.final(id)
		b.StopTimer()
		if res.Status != fleet.ResultDone {
			b.Fatalf("deploy %s: %+v", o.version, res)
		}
		swapMS += res.Result["swap_ms"].(float64)
		rg.waitState(o.version, fleet.ModelActive)
		b.StartTimer()
	}
	b.ReportMetric(swapMS/float64(b.N), "swap-ms")
}
