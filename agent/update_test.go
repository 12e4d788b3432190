package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
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
	"github.com/axle-edge/axle/firmware"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/sensors/drivers"
	"github.com/axle-edge/axle/trust"
)

// updateRig is a gateway for self-update tests: a real broker, a target
// "binary" (opaque bytes: firmware never runs it) and the update state in
// a temporary directory, a signing key trusted for updates.
type updateRig struct {
	t       *testing.T
	url     string
	cfg     *config.Config
	target  string
	pub     trust.PublicKey
	sec     trust.SecretKey
	backend *updateBackend
	cons    *uplinktest.Consumer
	pubCli  *uplink.Client
}

// updateBackend collects results and update events.
type updateBackend struct {
	mu      sync.Mutex
	results []fleet.Result
	events  []fleet.Event
	online  map[string]bool // agent versions seen online
}

func (b *updateBackend) handle(topic string, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case strings.HasSuffix(topic, "/result"):
		var r fleet.Result
		if json.Unmarshal(payload, &r) == nil {
			b.results = append(b.results, r)
		}
	case strings.HasSuffix(topic, "/status"):
		var s fleet.Status
		if json.Unmarshal(payload, &s) == nil && s.State == fleet.StateOnline {
			if b.online == nil {
				b.online = map[string]bool{}
			}
			b.online[s.Agent] = true
		}
	case strings.HasSuffix(topic, "/events"):
		var ev fleet.Event
		if json.Unmarshal(payload, &ev) == nil && ev.Kind == fleet.EventUpdate {
			b.events = append(b.events, ev)
		}
	}
}

func (b *updateBackend) result(id, status string) (fleet.Result, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.results {
		if r.ID == id && r.Status == status {
			return r, true
		}
	}
	return fleet.Result{}, false
}

func (b *updateBackend) isOnline(version string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.online[version]
}

func (b *updateBackend) event(result string) (fleet.Event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ev := range b.events {
		if ev.Data["result"] == result {
			return ev, true
		}
	}
	return fleet.Event{}, false
}

func newUpdateRig(t *testing.T, device string) *updateRig {
	t.Helper()
	addr := testBroker(t)
	r := &updateRig{t: t, url: "tcp://" + addr, backend: &updateBackend{}}
	r.cfg = pumpConfig(t, device, addr, 11, time.Hour, time.Second)
	var err error
	if r.pub, r.sec, err = trust.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	r.cfg.Update.Keys = []string{r.pub.String()}
	r.cfg.Update.ConfirmWithin = 20 * time.Second
	if err := r.cfg.Finish(device); err != nil {
		t.Fatal(err)
	}
	r.target = filepath.Join(t.TempDir(), "axle")
	if err := os.WriteFile(r.target, fakeBinary(1, 300<<10), 0o755); err != nil {
		t.Fatal(err)
	}
	r.cons = uplinktest.NewConsumer(t, r.url, device+"-backend", r.backend.handle, "axle/"+device+"/#")
	r.pubCli = runUplink(t, uplink.Config{Broker: r.url, ClientID: device + "-publisher"})
	return r
}

func fakeBinary(seed uint64, size int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func runUplink(t *testing.T, cfg uplink.Config) *uplink.Client {
	t.Helper()
	c, err := uplink.New(cfg)
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
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := c.WaitConnected(wctx); err != nil {
		t.Fatalf("connect %s: %v", cfg.ClientID, err)
	}
	return c
}

// publish puts data on the broker as a retained artifact.
func (r *updateRig) publish(data []byte) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := artifact.Publish(ctx, r.pubCli, "axle", bytes.NewReader(data), int64(len(data)), artifact.PublishOptions{Kind: "agent"}); err != nil {
		r.t.Fatalf("publish artifact: %v", err)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sign returns the base64 minisig of data with comment.
func signB64(t *testing.T, sk trust.SecretKey, data []byte, comment string) string {
	t.Helper()
	sig, err := trust.Sign(sk, data, comment)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (r *updateRig) send(id, verb string, args any) {
	r.t.Helper()
	a, err := json.Marshal(args)
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := fmt.Sprintf(`{"v":1,"id":%q,"verb":%q,"args":%s,"expires_at":%q}`, id, verb, a, time.Now().Add(10*time.Minute).UTC().Format(time.RFC3339))
	r.cons.Publish(r.t, "axle/"+r.cfg.Device+"/cmd", false, []byte(cmd))
}

// openFirmware opens the update state as main does at each start.
func (r *updateRig) openFirmware() *firmware.Updater {
	r.t.Helper()
	fw, err := firmware.Open(firmware.Config{Target: r.target, StateDir: r.cfg.StateDir, MaxAttempts: r.cfg.Update.MaxAttempts,
		MaxSize: int64(r.cfg.Update.MaxSize), KeepPrevious: r.cfg.Update.KeepPrevious})
	if err != nil {
		r.t.Fatal(err)
	}
	return fw
}

// agentRun is one run of the agent; err receives what run returned.
type agentRun struct {
	cancel context.CancelFunc
	err    chan error
	log    *bytes.Buffer
	mu     *sync.Mutex
}

func (r *updateRig) start(version string, upd Update) *agentRun {
	r.t.Helper()
	ar := &agentRun{err: make(chan error, 1), log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	opts := Options{Config: r.cfg, Logger: slog.New(slog.NewTextHandler(lockedWriter{ar.log, ar.mu}, nil)), Drivers: drivers.All(),
		Runtime: tflite.Runtime{}, BuiltinModels: map[string][]byte{"demo": demomodel.TFLite()}, Version: version, Update: upd}
	a, err := setup(context.Background(), opts)
	if err != nil {
		r.t.Fatalf("agent setup: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ar.cancel = cancel
	go func() { ar.err <- a.run(ctx) }()
	if r.cfg.MQTT.Broker == r.url {
		// Commands sent before the agent subscribed would be lost.
		uplinktest.WaitFor(r.t, 30*time.Second, "agent "+version+" online", func() bool { return r.backend.isOnline(version) })
	}
	r.t.Cleanup(func() {
		cancel()
		select {
		case <-ar.err:
		case <-time.After(20 * time.Second):
			r.t.Error("agent did not stop within 20 s")
		}
		if r.t.Failed() {
			ar.mu.Lock()
			r.t.Logf("agent %s log:\n%s", version, ar.log.String())
			ar.mu.Unlock()
		}
	})
	return ar
}

// wait waits for run to return by itself.
func (ar *agentRun) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-ar.err:
		ar.err <- err // for the cleanup
		return err
	case <-time.After(d):
		t.Fatalf("agent run did not return within %s", d)
		return nil
	}
}

// TestUpdateStageCommitConfirm: agent.update over MQTT stages the signed
// binary, answers accepted, ends the run with ErrRestartForUpdate and
// swaps it in after the drain; the next start (on probation) confirms and
// answers the command done with the old and new versions and an update
// event.
func TestUpdateStageCommitConfirm(t *testing.T) {
	t.Parallel()
	r := newUpdateRig(t, "upd-pump")
	v2 := fakeBinary(2, 400<<10)
	r.publish(v2)

	fw := r.openFirmware()
	if d, err := fw.Boot("v1"); err != nil || d.Action != firmware.Run {
		t.Fatalf("boot v1: %+v %v", d, err)
	}
	run1 := r.start("v1", Update{Firmware: fw})
	r.send("u1", fleet.VerbAgentUpdate, map[string]any{"version": "v2", "sha256": sha(v2), "size": len(v2),
		"source": map[string]string{"kind": "mqtt"}, "minisig": signB64(t, r.sec, v2, "name:axle version:v2")})
	err := run1.wait(t, 60*time.Second)
	if !errors.Is(err, ErrRestartForUpdate) {
		t.Fatalf("run returned %v, want ErrRestartForUpdate", err)
	}
	if got, _ := os.ReadFile(r.target); !bytes.Equal(got, v2) {
		t.Fatal("target is not the new binary after the restart for update")
	}
	if p := fw.State().Pending; p == nil || p.Version != "v2" || p.From != "v1" {
		t.Fatalf("pending after commit: %+v", p)
	}

	// The new binary starts: main's Boot, then the agent on probation.
	fw2 := r.openFirmware()
	d, err := fw2.Boot("v2")
	if err != nil || d.Action != firmware.Probation {
		t.Fatalf("boot v2: %+v %v", d, err)
	}
	r.start("v2", Update{Firmware: fw2, Probation: true})
	uplinktest.WaitFor(t, 40*time.Second, "the done result of the update", func() bool {
		_, ok := r.backend.result("u1", fleet.ResultDone)
		return ok
	})
	res, _ := r.backend.result("u1", fleet.ResultDone)
	if res.Result["old"] != "v1" || res.Result["new"] != "v2" {
		t.Errorf("done result %+v, want old v1 new v2", res.Result)
	}
	if _, ok := r.backend.result("u1", fleet.ResultAccepted); !ok {
		t.Error("no accepted result for the update")
	}
	uplinktest.WaitFor(t, 20*time.Second, "the confirmed update event", func() bool {
		_, ok := r.backend.event(firmware.ResultConfirmed)
		return ok
	})
	st := fw2.State()
	if st.Pending != nil || st.Current != "v2" || len(st.Reports) != 0 {
		t.Errorf("state after confirm: %+v", st)
	}
	if _, err := os.Stat(r.target + ".old"); !os.IsNotExist(err) {
		t.Errorf("old binary still kept after confirm: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.cfg.StateDir, updateJobFile)); !os.IsNotExist(err) {
		t.Errorf("update job not removed once answered: %v", err)
	}
}

// TestUpdateRefused: a signature by an untrusted key, a trusted signature
// of another version, a wrong hash (HTTPS source serving other bytes) and
// malformed args are refused with a named reason; the binary is untouched
// and the agent keeps running.
func TestUpdateRefused(t *testing.T) {
	t.Parallel()
	r := newUpdateRig(t, "ref-pump")
	v2 := fakeBinary(3, 200<<10)
	r.publish(v2)
	other := fakeBinary(4, 200<<10)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(other) }))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := writeServerCA(srv, caFile); err != nil {
		t.Fatal(err)
	}
	r.cfg.Update.CAFile = caFile
	before, _ := os.ReadFile(r.target)

	fw := r.openFirmware()
	if _, err := fw.Boot("v1"); err != nil {
		t.Fatal(err)
	}
	run := r.start("v1", Update{Firmware: fw})
	_, untrusted, _ := trust.GenerateKey()
	mqtt := map[string]string{"kind": "mqtt"}
	base := func(sig string) map[string]any {
		return map[string]any{"version": "v2", "sha256": sha(v2), "size": len(v2), "source": mqtt, "minisig": sig}
	}
	cases := []struct {
		id, status, errPart string
		args                map[string]any
	}{
		{"untrusted", fleet.ResultFailed, "untrusted", base(signB64(t, untrusted, v2, "version:v2"))},
		{"other-version", fleet.ResultFailed, "does not say version:v2", base(signB64(t, r.sec, v2, "version:v3"))},
		{"bad-sig", fleet.ResultFailed, "signature", base(signB64(t, r.sec, other, "version:v2"))},
		{"wrong-hash", fleet.ResultFailed, "sha256", map[string]any{"version": "v2", "sha256": sha(v2), "size": len(v2),
			"source": map[string]string{"kind": "https", "url": srv.URL + "/axle"}, "minisig": signB64(t, r.sec, v2, "version:v2")}},
		{"bad-args", fleet.ResultRejected, `field "sha256"`, map[string]any{"version": "v2", "sha256": "xyz", "size": 1, "source": mqtt, "minisig": "AA=="}},
		{"bad-kind", fleet.ResultRejected, `"source.kind"`, map[string]any{"version": "v2", "sha256": sha(v2), "size": 1, "source": map[string]string{"kind": "ftp"}, "minisig": "AA=="}},
	}
	for _, c := range cases {
		r.send(c.id, fleet.VerbAgentUpdate, c.args)
		uplinktest.WaitFor(t, 60*time.Second, "the result of "+c.id, func() bool {
			_, ok := r.backend.result(c.id, c.status)
			return ok
		})
		res, _ := r.backend.result(c.id, c.status)
		if !strings.Contains(res.Error, c.errPart) {
			t.Errorf("%s: error %q does not contain %q", c.id, res.Error, c.errPart)
		}
	}
	if _, ok := r.backend.event("refused"); !ok {
		t.Error("no update event for a refused update")
	}
	select {
	case err := <-run.err:
		run.err <- err
		t.Fatalf("agent stopped after refused updates: %v", err)
	default:
	}
	if got, _ := os.ReadFile(r.target); !bytes.Equal(got, before) {
		t.Error("target changed by a refused update")
	}
	if st := fw.State(); st.Pending != nil || st.Staged != nil {
		t.Errorf("state after refusals: %+v", st)
	}
}

// TestRollbackCommand: after a confirmed update kept with keep_previous,
// agent.rollback puts the old binary back, answers done and ends the run
// for the restart; the old version reports the rollback at its start.
func TestRollbackCommand(t *testing.T) {
	t.Parallel()
	r := newUpdateRig(t, "rb-pump")
	r.cfg.Update.KeepPrevious = true
	v1, _ := os.ReadFile(r.target)
	v2 := fakeBinary(5, 100<<10)
	fw := r.openFirmware()
	if _, err := fw.Boot("v1"); err != nil {
		t.Fatal(err)
	}
	// The update itself is TestUpdateStageCommitConfirm's; here it is
	// done directly through firmware.
	path := filepath.Join(t.TempDir(), "v2")
	if err := os.WriteFile(path, v2, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Stage(context.Background(), firmware.StageRequest{Version: "v2", SHA256: sha(v2), Size: int64(len(v2)), Path: path,
		Verify: func(string) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Boot("v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Confirm("v2"); err != nil {
		t.Fatal(err)
	}

	run := r.start("v2", Update{Firmware: fw})
	r.send("rb1", VerbAgentRollback, map[string]string{"reason": "operator test"})
	if err := run.wait(t, 30*time.Second); !errors.Is(err, ErrRestartForUpdate) {
		t.Fatalf("run returned %v, want ErrRestartForUpdate", err)
	}
	if got, _ := os.ReadFile(r.target); !bytes.Equal(got, v1) {
		t.Fatal("target is not the old binary after agent.rollback")
	}
	fw1 := r.openFirmware()
	if d, err := fw1.Boot("v1"); err != nil || d.Action != firmware.Run {
		t.Fatalf("boot v1 after rollback: %+v %v", d, err)
	}
	r.start("v1", Update{Firmware: fw1})
	uplinktest.WaitFor(t, 40*time.Second, "the rollback's result and event", func() bool {
		_, done := r.backend.result("rb1", fleet.ResultDone)
		_, ev := r.backend.event(firmware.ResultRolledBack)
		return done && ev
	})
	ev, _ := r.backend.event(firmware.ResultRolledBack)
	if ev.Data["new"] != "v2" || ev.Data["running"] != "v1" || !strings.Contains(fmt.Sprint(ev.Data["reason"]), "operator test") {
		t.Errorf("rollback event %+v", ev)
	}
}

// TestProbationExpires: a version on probation that cannot reach its
// broker ends its run with ErrProbationExpired, so main exits non-zero.
func TestProbationExpires(t *testing.T) {
	t.Parallel()
	r := newUpdateRig(t, "prob-pump")
	r.cfg.MQTT.Broker = "tcp://127.0.0.1:1" // nothing listens
	r.cfg.Update.ConfirmWithin = 2 * time.Second
	fw := r.openFirmware()
	run := r.start("v2", Update{Firmware: fw, Probation: true})
	if err := run.wait(t, 30*time.Second); !errors.Is(err, ErrProbationExpired) {
		t.Fatalf("run returned %v, want ErrProbationExpired", err)
	}
}

func TestDecodeUpdateArgs(t *testing.T) {
	_, sk, _ := trust.GenerateKey()
	sig := signB64(t, sk, []byte("x"), "version:v2")
	good := fmt.Sprintf(`{"version":"v2","sha256":"%s","size":10,"source":{"kind":"https","url":"https://h/axle"},"minisig":%q,"patch":{"sha256":"%s","size":5,"source":{"kind":"mqtt"}}}`,
		strings.Repeat("a", 64), sig, strings.Repeat("b", 64))
	a, err := decodeUpdateArgs([]byte(good), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != "v2" || a.Patch == nil || a.Patch.Size != 5 || len(a.sig) == 0 {
		t.Fatalf("decoded %+v", a)
	}
	for _, c := range []struct{ args, want string }{
		{`{"version":"v2"}`, `"sha256"`},
		{strings.Replace(good, `"size":10`, `"size":2000000`, 1), `"size": 2000000 is not between`},
		{strings.Replace(good, `"v2"`, `"../x"`, 1), `"version"`},
		{strings.Replace(good, `https://h/axle`, `http://h/axle`, 1), `"source.url"`},
		{strings.Replace(good, `"size":5`, `"size":0`, 1), `"patch.size"`},
		{strings.Replace(good, `"minisig":`, `"extra":1,"minisig":`, 1), `unknown field "extra"`},
		{strings.Replace(good, sig, "!!", 1), `"minisig": not base64`},
		{good + "{}", "trailing data"},
	} {
		if _, err := decodeUpdateArgs([]byte(c.args), 1<<20); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %s", c.args, err, c.want)
		}
	}
}

func FuzzDecodeUpdateArgs(f *testing.F) {
	f.Add([]byte(`{"version":"v2","sha256":"` + strings.Repeat("a", 64) + `","size":10,"source":{"kind":"mqtt"},"minisig":"AA=="}`))
	f.Add([]byte(`{"version":"v2","patch":{"size":-1}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeUpdateArgs(b, 1<<20)
		if err == nil && (a.Size <= 0 || a.Size > 1<<20 || len(a.sig) == 0) {
			t.Fatalf("accepted %+v", a)
		}
	})
}

// writeServerCA writes the certificate of a httptest TLS server as a PEM file.
func writeServerCA(srv *httptest.Server, path string) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
}
