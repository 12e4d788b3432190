package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/internal/atomicfile"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/store"
	"github.com/axle-edge/axle/trust"
)

// testBundle packs the demo model into a bundle with the CLI, signed by a
// new key unless unsigned; it returns the bundle path and the key files'
// directory.
func testBundle(t *testing.T, unsigned bool) (axb, dir string) {
	t.Helper()
	dir = t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(p("m.json"), []byte(packManifest), 0o644)
	os.WriteFile(p("model.tflite"), demomodel.TFLite(), 0o644)
	os.WriteFile(p("tv0.bin"), make([]byte, 48), 0o644)
	axb = p("pump.axb")
	if code, _, errs := axleCLI(t, "model", "pack", "--manifest", p("m.json"), "--model", p("model.tflite"), "--extra", p("tv0.bin"), "-o", axb); code != 0 {
		t.Fatalf("pack: %d %s", code, errs)
	}
	if code, _, errs := axleCLI(t, "keygen", "-W", "-p", p("k.pub"), "-s", p("k.key")); code != 0 {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	if !unsigned {
		if code, _, errs := axleCLI(t, "model", "sign", "-s", p("k.key"), axb); code != 0 {
			t.Fatalf("sign: %d %s", code, errs)
		}
	}
	return axb, dir
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestModelPublish publishes a bundle to a real Mosquitto with the CLI,
// then fetches it as an agent would and compares the bytes; the printed
// deploy args name it exactly.
func TestModelPublish(t *testing.T) {
	broker := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	axb, _ := testBundle(t, false)
	data := mustRead(t, axb)

	code, out, errs := axleCLI(t, "model", "publish", axb, "--broker", broker.URL())
	if code != 0 {
		t.Fatalf("publish: exit %d\n%s", code, errs)
	}
	var args struct {
		Model, Version, SHA256 string
		Size                   int64
		Source                 map[string]string
	}
	if err := json.Unmarshal([]byte(out), &args); err != nil {
		t.Fatalf("stdout is not the deploy args JSON: %v\n%s", err, out)
	}
	if args.Model != "pump-anomaly" || args.Version != "2.0.0" || args.SHA256 != sha256Hex(data) ||
		args.Size != int64(len(data)) || args.Source["kind"] != "mqtt" {
		t.Errorf("deploy args %+v, want the bundle's name, version, sha256 %s and size %d", args, sha256Hex(data), len(data))
	}
	if !strings.Contains(errs, "100% [") || !strings.Contains(errs, "MB/s") || !strings.Contains(errs, "sha256 "+args.SHA256) {
		t.Errorf("stderr lacks the progress bar or the summary:\n%s", errs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, err := artifact.Fetch(ctx, artifact.Source{Kind: artifact.KindMQTT, Prefix: "axle",
		MQTT: uplink.Config{Broker: broker.URL(), ClientID: "fetcher", MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}},
		artifact.Want{SHA256: args.SHA256, Size: args.Size}, artifact.Options{Dir: t.TempDir(), MaxSize: 64 << 20})
	if err != nil {
		t.Fatalf("fetch what publish published: %v", err)
	}
	if got := mustRead(t, path); !bytes.Equal(got, data) {
		t.Fatalf("fetched %d bytes differ from the %d-byte bundle", len(got), len(data))
	}

	// A second publish finds it retained and sends nothing again.
	code, out2, errs := axleCLI(t, "model", "publish", axb, "--broker", broker.URL())
	if code != 0 || !strings.Contains(errs, "already published") || out2 != out {
		t.Errorf("second publish: exit %d, stdout %q, stderr:\n%s", code, out2, errs)
	}
}

func TestModelPublishRefuses(t *testing.T) {
	unsignedAxb, _ := testBundle(t, true)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"model", "publish", unsignedAxb, "--broker", "tcp://127.0.0.1:1"}, 1, "bundle is not signed"},
		{[]string{"model", "publish", unsignedAxb}, 2, "--broker URL is required"},
		{[]string{"model", "publish", "--broker", "tcp://127.0.0.1:1", filepath.Join(t.TempDir(), "none.axb")}, 1, "no such file"},
		{[]string{"model", "publish", "--broker", "tcp://127.0.0.1:1", "/etc/hostname"}, 1, "bundle"},
	} {
		code, _, errs := axleCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// playAgent stands in for the agent's side of the spool contract: it waits
// for one complete <name>.axb (never seeing the temporary file under that
// name), checks its bytes, writes <name>.result.json atomically and moves
// the bundle to done/. The agent's own side is tested in package agent.
func playAgent(t *testing.T, spool string, want []byte, res fleet.Result) <-chan error {
	errc := make(chan error, 1)
	go func() {
		errc <- func() error {
			deadline := time.Now().Add(30 * time.Second)
			tick := time.NewTicker(20 * time.Millisecond) // polls the directory, as the agent does
			defer tick.Stop()
			for ; time.Now().Before(deadline); <-tick.C {
				ents, err := os.ReadDir(spool)
				if err != nil {
					return err
				}
				for _, e := range ents {
					n := e.Name()
					if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".axb") {
						continue
					}
					got, err := os.ReadFile(filepath.Join(spool, n))
					if err != nil {
						return err
					}
					if !bytes.Equal(got, want) {
						return &spoolError{"spooled bundle differs from the original"}
					}
					b, _ := json.Marshal(res)
					base := strings.TrimSuffix(n, ".axb")
					if err := atomicfile.WriteFile(filepath.Join(spool, base+".result.json"), b, 0o644, ""); err != nil {
						return err
					}
					return os.Rename(filepath.Join(spool, n), filepath.Join(spool, "done", n))
				}
			}
			return &spoolError{"no bundle appeared in the spool"}
		}()
	}()
	return errc
}

type spoolError struct{ msg string }

func (e *spoolError) Error() string { return e.msg }

// TestModelInstall drives `axle model install` through the spool file
// contract: a done result prints and exits 0, a failed one exits 1 with
// the agent's reason, no agent means a clear timeout, and no spool a clear
// error.
func TestModelInstall(t *testing.T) {
	axb, _ := testBundle(t, false)
	data := mustRead(t, axb)
	state := t.TempDir()
	spool := filepath.Join(state, "spool")
	if err := os.MkdirAll(filepath.Join(spool, "done"), 0o750); err != nil {
		t.Fatal(err)
	}

	done := fleet.Result{V: 1, ID: "spool:x", Status: fleet.ResultDone, TS: time.Now().UTC(),
		Result: map[string]any{"model": "pump-anomaly", "version": "2.0.0", "previous": "1"}}
	errc := playAgent(t, spool, data, done)
	code, out, errs := axleCLI(t, "model", "install", axb, "--state-dir", state, "--timeout", "30s")
	if err := <-errc; err != nil {
		t.Fatalf("agent side: %v", err)
	}
	if code != 0 || !strings.Contains(out, `"status": "done"`) || !strings.Contains(out, `"previous": "1"`) {
		t.Errorf("install done: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	ents, _ := os.ReadDir(spool)
	for _, e := range ents {
		if e.Name() != "done" {
			t.Errorf("spool keeps %s after a finished install", e.Name())
		}
	}

	failed := fleet.Result{V: 1, ID: "spool:y", Status: fleet.ResultFailed, Error: "self_test: vector 0: output 0.9, want 0.5 ± 0.01", TS: time.Now().UTC()}
	errc = playAgent(t, spool, data, failed)
	code, out, errs = axleCLI(t, "model", "install", axb, "--state-dir", state, "--timeout", "30s")
	if err := <-errc; err != nil {
		t.Fatalf("agent side: %v", err)
	}
	if code != 1 || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(errs, "not installed: self_test: vector 0") {
		t.Errorf("install failed: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}

	// Nobody answers: a timeout that says where the bundle waits.
	code, _, errs = axleCLI(t, "model", "install", axb, "--state-dir", state, "--timeout", "300ms")
	if code != 1 || !strings.Contains(errs, "no result from the agent after 300ms") || !strings.Contains(errs, "stays queued in "+spool) {
		t.Errorf("install without agent: exit %d, stderr %s", code, errs)
	}

	code, _, errs = axleCLI(t, "model", "install", axb, "--state-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, "no offline install spool") {
		t.Errorf("install without spool: exit %d, stderr %s", code, errs)
	}
	code, _, errs = axleCLI(t, "model", "install", "/etc/hostname", "--state-dir", state)
	if code != 1 || !strings.Contains(errs, "/etc/hostname") {
		t.Errorf("install of a non-bundle: exit %d, stderr %s", code, errs)
	}
}

// TestModelHistory prints the audit log of a real store: install,
// activate, a gate with figures and a rollback, with key ids.
func TestModelHistory(t *testing.T) {
	axb, _ := testBundle(t, false)
	data := mustRead(t, axb)
	state := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(state, "models"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	audit := store.Audit{KeyID: "A1B2C3D4E5F60708", Reason: "model.deploy c-1"}
	for _, v := range []string{"1", "2"} {
		if _, err := st.Install(ctx, "pump-anomaly", v, bytes.NewReader(data), sha256Hex(data), store.InstallOptions{Audit: audit}); err != nil {
			t.Fatal(err)
		}
		if err := st.Activate(ctx, "pump-anomaly", v, store.ActivateOptions{Probation: v == "2", Audit: audit}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Record(ctx, store.Entry{Model: "pump-anomaly", Version: "2", Action: store.ActionGate, Reason: "latency_p99 tripped",
		Details: map[string]any{"observed": 0.081, "limit": 0.05}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rollback(ctx, "pump-anomaly", store.RollbackOptions{Reject: true, Audit: store.Audit{Reason: "gate latency_p99"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Record(ctx, store.Entry{Model: "other", Version: "1", Action: store.ActionGate, Reason: "passed"}); err != nil {
		t.Fatal(err)
	}

	code, out, errs := axleCLI(t, "model", "history", "--state-dir", state, "--model", "pump-anomaly")
	if code != 0 {
		t.Fatalf("history: exit %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[0], "KEY ID") {
		t.Errorf("no header: %q", lines[0])
	}
	for _, want := range []string{"install", "activate", "A1B2C3D4E5F60708", "latency_p99 tripped (limit=0.05 observed=0.081)", "rollback", "gate latency_p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "other") {
		t.Errorf("--model pump-anomaly shows another model:\n%s", out)
	}

	code, out, _ = axleCLI(t, "model", "history", "--state-dir", state, "--json")
	var n int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e store.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Action == "" {
			t.Errorf("--json line %q: %v", l, err)
		}
		n++
	}
	all, _ := store.ReadHistory(filepath.Join(state, "models"), store.Filter{})
	if code != 0 || n != len(all) || n < 6 {
		t.Errorf("--json: exit %d, %d lines, store has %d entries", code, n, len(all))
	}

	if code, _, errs := axleCLI(t, "model", "history", "--state-dir", t.TempDir()); code != 1 || !strings.Contains(errs, "no model store at") {
		t.Errorf("history without a store: exit %d %s", code, errs)
	}
}

// TestCmdSign signs a command with an axle key and checks the agent's
// verification accepts it, that the command is signed as written, and
// that a malformed command is refused naming the field.
func TestCmdSign(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if code, _, errs := axleCLI(t, "keygen", "-W", "-p", p("k.pub"), "-s", p("k.key")); code != 0 {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	cmd := `{"v":1,"id":"deploy-42","verb":"model.deploy","expires_at":"2030-01-01T00:00:00Z",
  "args":{"model":"pump-anomaly","version":"2.0.0","sha256":"` + strings.Repeat("ab", 32) + `","size":18432,"source":{"kind":"mqtt"},"probation":{"max_psi":0.25}}}`
	os.WriteFile(p("cmd.json"), []byte(cmd), 0o644)
	code, out, errs := axleCLI(t, "cmd", "sign", "--key", p("k.key"), p("cmd.json"))
	if code != 0 {
		t.Fatalf("cmd sign: exit %d %s", code, errs)
	}
	pub, err := trust.ReadPublicKeyFile(p("k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := trust.NewKeyring(pub)
	signed := []byte(strings.TrimSpace(out))
	if id, err := fleet.VerifyCommand(signed, kr); err != nil || id != pub.ID() {
		t.Fatalf("signed command does not verify: %q %v\n%s", id, err, signed)
	}
	if c, err := fleet.DecodeCommand(signed); err != nil || c.ID != "deploy-42" {
		t.Fatalf("signed command does not decode: %v", err)
	}
	if bytes.Contains(signed, []byte("issued_at")) {
		t.Errorf("signing added fields the command did not have: %s", signed)
	}
	if !strings.Contains(errs, "deploy-42") || !strings.Contains(errs, pub.ID()) {
		t.Errorf("stderr does not name the command and key: %s", errs)
	}
	// Re-signing a signed command replaces its signature.
	os.WriteFile(p("signed.json"), signed, 0o644)
	if code, out2, _ := axleCLI(t, "cmd", "sign", "--key", p("k.key"), p("signed.json")); code != 0 || strings.Count(out2, `"signature"`) != 1 {
		t.Errorf("re-sign: exit %d %s", code, out2)
	}

	os.WriteFile(p("bad.json"), []byte(`{"v":1,"id":"x","verb":"ping"}`), 0o644)
	if code, _, errs := axleCLI(t, "cmd", "sign", "--key", p("k.key"), p("bad.json")); code != 1 || !strings.Contains(errs, `"expires_at" is missing`) {
		t.Errorf("bad command: exit %d %s", code, errs)
	}
	if code, _, errs := axleCLI(t, "cmd", "sign", p("cmd.json")); code != 2 || !strings.Contains(errs, "--key") {
		t.Errorf("no key: exit %d %s", code, errs)
	}
	if code, _, _ := axleCLI(t, "cmd", "frobnicate"); code != 2 {
		t.Errorf("unknown cmd subcommand: exit %d", code)
	}
}
