package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/firmware"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/trust"
)

// TestSelfUpdateEndToEnd builds the real binary three times (versions v1,
// v2, v3) into a temporary root and runs it under a supervisor with
// systemd's Restart=always semantics (restart on any exit but 78), with a
// real Mosquitto and a simulated pump:
//
//   - v1 updates to v2 over MQTT, exits 75, v2 starts on probation and
//     confirms: result done with old and new versions, update event;
//   - v3 dies after every start (the supervisor SIGKILLs it once it is on
//     probation); after update.max_attempts starts the old binary is put
//     back, v2 reports the rollback and answers the command failed;
//   - a bad signature, a wrong hash and an untrusted key are refused and v2
//     keeps running.
//
// SIGKILL during staging and swap is covered by firmware's crash drill.
func TestSelfUpdateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary three times")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "bin", "axle")
	builds := map[string]string{"v1": bin, "v2": filepath.Join(root, "dist", "axle-v2"), "v3": filepath.Join(root, "dist", "axle-v3")}
	for _, v := range []string{"v1", "v2", "v3"} {
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+v, "-o", builds[v], ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", v, err, out)
		}
	}
	broker := uplinktest.StartBroker(t, uplinktest.BrokerOptions{})
	sign := newSigner(t, root, "update")
	untrusted := newSigner(t, root, "other")

	// HTTPS server for the wrong-hash case: it serves other bytes.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("not the binary")) }))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(root, "ca.pem")
	writeFile(t, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	cfgPath := filepath.Join(root, "axle.yaml")
	writeFile(t, cfgPath, []byte(fmt.Sprintf(`device: gw-1
state_dir: %s
log: {format: json}
mqtt:
  broker: %s
sensors:
  - name: pump
    driver: sim
    rate: 1000
    options: {seed: 3, profile: pump}
update:
  keys: [%s]
  max_attempts: 2
  confirm_within: 15s
  ca_file: %s
`, filepath.Join(root, "state"), broker.URL(), sign.pub, caFile)))

	var back e2eBackend
	cons := uplinktest.NewConsumer(t, broker.URL(), "backend", back.handle, "axle/gw-1/#")
	pubCli := startUplink(t, broker.URL())

	sup := startSupervisor(t, bin, "agent", "--config", cfgPath)
	waitOnline := func(v string, after int) {
		uplinktest.WaitFor(t, 60*time.Second, "agent "+v+" online", func() bool { return back.onlineCount(v) > after })
	}
	waitOnline("v1", 0)

	update := func(id, v string, args map[string]any) {
		b, _ := json.Marshal(args)
		cmd := fmt.Sprintf(`{"v":1,"id":%q,"verb":"agent.update","args":%s,"expires_at":%q}`, id, b, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		cons.Publish(t, "axle/gw-1/cmd", false, []byte(cmd))
	}
	argsFor := func(path, v string, s *signer) map[string]any {
		data := readFile(t, path)
		publishArtifact(t, pubCli, data, v)
		return map[string]any{"version": v, "sha256": hexSHA(data), "size": len(data), "source": map[string]string{"kind": "mqtt"},
			"minisig": s.sign(t, path, "name:axle version:"+v)}
	}

	// v1 → v2, confirmed. The time from command to confirmed is logged
	// for docs/benchmarks.md (go test -v -run TestSelfUpdateEndToEnd).
	v2Args := argsFor(builds["v2"], "v2", sign)
	sent := time.Now()
	update("to-v2", "v2", v2Args)
	uplinktest.WaitFor(t, 60*time.Second, "v2 confirmed", func() bool { return back.result("to-v2", fleet.ResultDone) != nil })
	t.Logf("agent.update v1 -> v2: command to confirmed result in %v (%d-byte binary)", time.Since(sent).Round(time.Millisecond), v2Args["size"])
	if r := back.result("to-v2", fleet.ResultDone); r.Result["old"] != "v1" || r.Result["new"] != "v2" {
		t.Errorf("done result %+v, want old v1, new v2", r.Result)
	}
	if back.result("to-v2", fleet.ResultAccepted) == nil {
		t.Error("no accepted result before the restart")
	}
	uplinktest.WaitFor(t, 20*time.Second, "the confirmed update event", func() bool { return back.event(firmware.ResultConfirmed) != nil })
	if codes := sup.exitCodes(); len(codes) != 1 || codes[0] != firmware.ExitUpdate {
		t.Errorf("exit statuses so far %v, want [75]", codes)
	}
	checkVersion(t, bin, "v2")

	// v2 → v3, which dies at every start: rolled back to v2.
	sup.killOn(`"version":"v3"`, "agent version on probation")
	update("to-v3", "v3", argsFor(builds["v3"], "v3", sign))
	uplinktest.WaitFor(t, 90*time.Second, "v3 rolled back and reported", func() bool {
		return back.result("to-v3", fleet.ResultFailed) != nil && back.event(firmware.ResultRolledBack) != nil
	})
	ev := back.event(firmware.ResultRolledBack)
	if ev.Data["new"] != "v3" || ev.Data["running"] != "v2" || !strings.Contains(fmt.Sprint(ev.Data["reason"]), "without confirming") {
		t.Errorf("rollback event %+v", ev.Data)
	}
	checkVersion(t, bin, "v2")
	online := back.onlineCount("v2")

	// Refusals: v2 keeps running.
	exits := len(sup.exitCodes())
	// A fresh artifact (v3 with a byte appended) carrying v3's signature.
	tampered := filepath.Join(root, "dist", "axle-tampered")
	writeFile(t, tampered, append(readFile(t, builds["v3"]), 0))
	bad := argsFor(tampered, "v4", sign)
	bad["minisig"] = sign.sign(t, builds["v3"], "name:axle version:v4")
	wrong := argsFor(builds["v3"], "v4", sign)
	wrong["source"] = map[string]string{"kind": "https", "url": srv.URL + "/axle"}
	// One at a time: a second update while one runs is rejected as busy.
	for _, c := range []struct {
		id, part string
		args     map[string]any
	}{
		{"bad-sig", "signature does not verify", bad},
		{"untrusted", "untrusted key", argsFor(builds["v3"], "v4", untrusted)},
		{"wrong-hash", "artifact", wrong},
	} {
		update(c.id, "v4", c.args)
		uplinktest.WaitFor(t, 60*time.Second, "the refusal of "+c.id, func() bool { return back.result(c.id, fleet.ResultFailed) != nil })
		if r := back.result(c.id, fleet.ResultFailed); !strings.Contains(r.Error, c.part) {
			t.Errorf("%s: error %q does not mention %q", c.id, r.Error, c.part)
		}
	}
	if n := len(sup.exitCodes()); n != exits || back.onlineCount("v2") != online {
		t.Errorf("the agent restarted during the refused updates: exits %v", sup.exitCodes())
	}
	checkVersion(t, bin, "v2")
}

func checkVersion(t *testing.T, bin, want string) {
	t.Helper()
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "axle "+want+" ") {
		t.Fatalf("%s version: %q %v, want %s", bin, out, err, want)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signer signs with the real minisign tool when installed (the format
// operators use), else with package trust.
type signer struct {
	pub     string // public key file
	keyFile string
	tool    string
	sk      trust.SecretKey
}

func newSigner(t *testing.T, dir, name string) *signer {
	t.Helper()
	s := &signer{pub: filepath.Join(dir, name+".pub"), keyFile: filepath.Join(dir, name+".key")}
	if tool, err := exec.LookPath("minisign"); err == nil {
		s.tool = tool
		if out, err := exec.Command(tool, "-G", "-W", "-p", s.pub, "-s", s.keyFile).CombinedOutput(); err != nil {
			t.Fatalf("minisign -G: %v\n%s", err, out)
		}
		return s
	}
	t.Log("minisign not installed: signing with package trust")
	pk, sk, err := trust.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pk.MarshalText()
	writeFile(t, s.pub, text)
	s.sk = sk
	return s
}

// sign returns the base64 of path's minisig with the trusted comment.
func (s *signer) sign(t *testing.T, path, comment string) string {
	t.Helper()
	var sig []byte
	if s.tool != "" {
		out := filepath.Join(t.TempDir(), "sig")
		if b, err := exec.Command(s.tool, "-S", "-s", s.keyFile, "-m", path, "-x", out, "-t", comment).CombinedOutput(); err != nil {
			t.Fatalf("minisign -S: %v\n%s", err, b)
		}
		sig = readFile(t, out)
	} else {
		var err error
		if sig, err = trust.Sign(s.sk, readFile(t, path), comment); err != nil {
			t.Fatal(err)
		}
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func startUplink(t *testing.T, url string) *uplink.Client {
	t.Helper()
	c, err := uplink.New(uplink.Config{Broker: url, ClientID: "publisher"})
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
		t.Fatal(err)
	}
	return c
}

func publishArtifact(t *testing.T, c *uplink.Client, data []byte, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := artifact.Publish(ctx, c, "axle", bytes.NewReader(data), int64(len(data)),
		artifact.PublishOptions{Name: "axle", Kind: "agent", Version: version}); err != nil {
		t.Fatalf("publish %s: %v", version, err)
	}
}

// e2eBackend records results, update events and online statuses.
type e2eBackend struct {
	mu      sync.Mutex
	results []fleet.Result
	events  []fleet.Event
	online  map[string]int
}

func (b *e2eBackend) handle(topic string, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case strings.HasSuffix(topic, "/result"):
		var r fleet.Result
		if json.Unmarshal(payload, &r) == nil {
			b.results = append(b.results, r)
		}
	case strings.HasSuffix(topic, "/events"):
		var ev fleet.Event
		if json.Unmarshal(payload, &ev) == nil && ev.Kind == fleet.EventUpdate {
			b.events = append(b.events, ev)
		}
	case strings.HasSuffix(topic, "/status"):
		var s fleet.Status
		if json.Unmarshal(payload, &s) == nil && s.State == fleet.StateOnline {
			if b.online == nil {
				b.online = map[string]int{}
			}
			b.online[s.Agent]++
		}
	}
}

func (b *e2eBackend) result(id, status string) *fleet.Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.results {
		if b.results[i].ID == id && b.results[i].Status == status {
			r := b.results[i]
			return &r
		}
	}
	return nil
}

func (b *e2eBackend) event(result string) *fleet.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.events {
		if b.events[i].Data["result"] == result {
			ev := b.events[i]
			return &ev
		}
	}
	return nil
}

func (b *e2eBackend) onlineCount(v string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.online[v]
}

// supervisor runs a command as systemd's Restart=always would: again after
// every exit except 78 (RestartPreventExitStatus), at most maxStarts times.
type supervisor struct {
	mu      sync.Mutex
	codes   []int
	kill    []string // SIGKILL a run once a log line holds all of these
	log     bytes.Buffer
	proc    *os.Process
	stopped bool
}

const maxStarts = 20

func startSupervisor(t *testing.T, bin string, args ...string) *supervisor {
	t.Helper()
	s := &supervisor{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range maxStarts {
			cmd := exec.Command(bin, args...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				s.logf("supervisor: %v", err)
				return
			}
			s.mu.Lock()
			if s.stopped {
				s.mu.Unlock()
				return
			}
			err = cmd.Start()
			s.proc = cmd.Process
			s.mu.Unlock()
			if err != nil {
				s.logf("supervisor: start: %v", err)
				return
			}
			s.scan(stderr, cmd.Process)
			err = cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode() // -1 when killed by a signal
			}
			s.mu.Lock()
			s.codes = append(s.codes, code)
			stop := s.stopped || code == 78
			s.mu.Unlock()
			s.logf("supervisor: exit %d (%v)", code, err)
			if stop {
				return
			}
			// RestartSec: a pace, not a synchronisation.
			time.Sleep(100 * time.Millisecond)
		}
		s.logf("supervisor: %d starts, giving up", maxStarts)
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		s.stopped = true
		if s.proc != nil {
			s.proc.Signal(syscall.SIGTERM)
		}
		s.mu.Unlock()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30 s of SIGTERM")
		}
		if t.Failed() {
			s.mu.Lock()
			t.Logf("agent output:\n%s", s.log.String())
			s.mu.Unlock()
		}
	})
	return s
}

func (s *supervisor) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(&s.log, format+"\n", args...)
}

// scan copies the run's log and kills it on a matching line.
func (s *supervisor) scan(r io.Reader, p *os.Process) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.log.WriteString(line + "\n")
		kill := len(s.kill) > 0
		for _, k := range s.kill {
			kill = kill && strings.Contains(line, k)
		}
		s.mu.Unlock()
		if kill {
			p.Kill()
		}
	}
}

func (s *supervisor) killOn(parts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill = parts
}

func (s *supervisor) exitCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.codes...)
}
