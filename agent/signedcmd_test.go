package agent

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
	"github.com/axle-edge/axle/trust"
)

// minisignCommand signs cmd with the documented shell recipe (jq for the
// canonical form, the minisign tool for the signature) and returns the
// signed command and the public key; ok is false when jq or minisign is
// not installed.
func minisignCommand(t *testing.T, cmd []byte) (signed []byte, pub trust.PublicKey, ok bool) {
	t.Helper()
	for _, tool := range []string{"jq", "minisign", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, pub, false
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("minisign", "-G", "-W", "-p", filepath.Join(dir, "ops.pub"), "-s", filepath.Join(dir, "ops.key")).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd.json"), cmd, 0o644); err != nil {
		t.Fatal(err)
	}
	// The recipe from the README, word for word.
	recipe := `jq -cjS 'del(.signature)' cmd.json > cmd.canon
minisign -S -s ops.key -m cmd.canon
jq --arg s "$(base64 -w0 cmd.canon.minisig)" '.signature=$s' cmd.json`
	sh := exec.Command("sh", "-e", "-c", recipe)
	sh.Dir = dir
	signed, err := sh.Output()
	if err != nil {
		t.Fatalf("signing recipe: %v", err)
	}
	pub, err = trust.ReadPublicKeyFile(filepath.Join(dir, "ops.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return signed, pub, true
}

// TestSignedCommands runs an agent with trust.command_keys over a real
// broker: a command signed by a trusted key runs and its result names the
// key; unsigned, unknown-key and tampered commands are rejected with the
// reason; a forged command does not use up the id of the genuine one; and
// a command signed with the minisign tool by the documented recipe runs.
func TestSignedCommands(t *testing.T) {
	t.Parallel()
	addr := testBroker(t)
	exp := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	cmd := func(id, verb, args string) fleet.Command {
		c := fleet.Command{V: fleet.Version, ID: id, Verb: verb, ExpiresAt: exp}
		if args != "" {
			c.Args = json.RawMessage(args)
		}
		return c
	}
	pub, sec, _ := trust.GenerateKey()
	stranger, strangerSec, _ := trust.GenerateKey()
	sign := func(c fleet.Command, k trust.SecretKey) []byte {
		b, err := fleet.SignCommand(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	unsigned := func(c fleet.Command) []byte {
		b, _ := json.Marshal(c)
		return b
	}

	keys := []string{pub.String()}
	msCmd, msPub, haveTools := minisignCommand(t, unsigned(cmd("ms1", fleet.VerbPing, "")))
	if haveTools {
		keys = append(keys, msPub.String()) // two keys, as during a rotation
	}
	cfg := pumpConfig(t, "signed-pump", addr, 9, time.Hour, 10*time.Second)
	cfg.Trust.CommandKeys = keys
	var backend resultLog
	cons := uplinktest.NewConsumer(t, "tcp://"+addr, "signed-backend", backend.handle, "axle/signed-pump/#")
	_, agentLog := startAgent(t, cfg)
	uplinktest.WaitFor(t, 30*time.Second, "a first score", func() bool {
		backend.col.mu.Lock()
		defer backend.col.mu.Unlock()
		return len(backend.col.scores) > 0
	})

	tampered := strings.Replace(string(sign(cmd("t1", fleet.VerbSimFault, `{"sensor":"pump","kind":"imbalance","severity":1}`), sec)),
		`"severity":1`, `"severity":3`, 1)
	send := func(b []byte) { cons.Publish(t, "axle/signed-pump/cmd", false, b) }
	send(sign(cmd("s1", fleet.VerbPing, ""), sec))
	send(unsigned(cmd("u1", fleet.VerbPing, "")))
	send(sign(cmd("k1", fleet.VerbPing, ""), strangerSec))
	send([]byte(tampered))
	send(unsigned(cmd("g1", fleet.VerbPing, "")))  // forged first ...
	send(sign(cmd("g1", fleet.VerbPing, ""), sec)) // ... then the genuine one with the same id
	if haveTools {
		send(msCmd)
	}

	type want struct {
		status, keyID, errPart string
	}
	wants := map[string][]want{
		"s1": {{fleet.ResultDone, pub.ID(), ""}},
		"u1": {{fleet.ResultRejected, "", "command is not signed; this agent accepts only commands signed by a key in trust.command_keys (" + pub.ID()}},
		"k1": {{fleet.ResultRejected, stranger.ID(), "untrusted key " + stranger.ID()}},
		"t1": {{fleet.ResultRejected, pub.ID(), "does not verify"}},
		"g1": {{fleet.ResultRejected, "", "not signed"}, {fleet.ResultDone, pub.ID(), ""}},
	}
	if haveTools {
		wants["ms1"] = []want{{fleet.ResultDone, msPub.ID(), ""}}
	} else {
		t.Log("jq, minisign or base64 not installed: the minisign-tool recipe is not checked")
	}
	uplinktest.WaitFor(t, 20*time.Second, "every result", func() bool {
		for id, w := range wants {
			if len(backend.byID(id)) < len(w) {
				return false
			}
		}
		return true
	})
	for id, ws := range wants {
		rs := backend.byID(id)
		if len(rs) != len(ws) {
			t.Errorf("command %s: %d results, want %d: %+v", id, len(rs), len(ws), rs)
			continue
		}
		for i, w := range ws {
			r := rs[i]
			if r.Status != w.status || r.KeyID != w.keyID || !strings.Contains(r.Error, w.errPart) {
				t.Errorf("command %s result %d: %+v, want status %s, key_id %q, error containing %q", id, i, r, w.status, w.keyID, w.errPart)
			}
		}
	}
	if l := agentLog(); !strings.Contains(l, "key_id="+stranger.ID()) || !strings.Contains(l, "key_id="+pub.ID()) {
		t.Errorf("the log does not name the key ids:\n%s", l)
	}
	backend.col.mu.Lock()
	defer backend.col.mu.Unlock()
	if len(backend.col.errs) > 0 {
		t.Errorf("invalid payloads:\n%s", strings.Join(backend.col.errs, "\n"))
	}
}
