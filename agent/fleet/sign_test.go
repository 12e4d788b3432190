package fleet

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/trust"
)

// canonCases are commands whose canonical form jq must agree with.
var canonCases = []string{
	`{"v":1,"id":"c1","verb":"model.rollback","args":{"model":"pump"},"issued_at":"2026-12-01T10:00:00Z","expires_at":"2026-12-01T11:00:00Z","signature":"ignored"}`,
	`{ "verb" : "config.set", "v": 1, "id":"ü-2", "args": {"b": [3, 2.50, 1e2, -0, 0.1, 1.5e-7, 0.0001, 0.00001, 1e16, 1e17, 123456789012, 12345678901234567890, 1e300, 0.30000000000000004, 9007199254740993, 1E+2, 1e999, -2.5e-10] , "a": null, "B": true, "é": false}, "expires_at":"2026-12-01T11:00:00Z"}`,
	`{"v":1,"id":"s","verb":"x","args":{"text":"tab\there \"q\" back\\slash <>& / é 😀 \u2028 \u0001 \u007f \u001f \ud83d\ude00","nested":{"z":{"y":[{"b":1,"a":2}]}}},"expires_at":"2026-12-01T11:00:00Z"}`,
	`{"signature":"x","v":1,"args":[],"id":"e","verb":"v","expires_at":"2026-12-01T11:00:00Z","zz":{},"aa":[[]]}`,
}

func TestCanonicalCommand(t *testing.T) {
	got, err := CanonicalCommand([]byte(canonCases[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"args":{"model":"pump"},"expires_at":"2026-12-01T11:00:00Z","id":"c1","issued_at":"2026-12-01T10:00:00Z","v":1,"verb":"model.rollback"}`
	if string(got) != want {
		t.Fatalf("canonical =\n%s\nwant\n%s", got, want)
	}
	got, _ = CanonicalCommand([]byte(canonCases[1]))
	if !strings.Contains(string(got), `[3,2.5,100,-0,0.1,1.5e-07,0.0001,1e-05,1e+16,1e+17,123456789012,12345678901234567000,1e+300,0.30000000000000004,9007199254740992,100,1.7976931348623157e+308,-2.5e-10]`) {
		t.Errorf("numbers not canonical: %s", got)
	}
	for _, bad := range []string{`[1]`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":1}}`, `{"a":1} {}`, `{"a":`, strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)} {
		if _, err := CanonicalCommand([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "fleet: canonical command") {
			t.Errorf("CanonicalCommand(%.30q) = %v, want an error", bad, err)
		}
	}
}

// TestCanonicalMatchesJQ checks the documented recipe: jq -cjS 'del(.signature)'.
func TestCanonicalMatchesJQ(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Skip("jq not installed (apt-get install jq): canonical form not compared with jq")
	}
	for i, c := range canonCases {
		cmd := exec.Command(jq, "-cjS", "del(.signature)")
		cmd.Stdin = strings.NewReader(c)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("case %d: jq: %v", i, err)
		}
		got, err := CanonicalCommand([]byte(c))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, out) {
			t.Errorf("case %d:\naxle %s\njq   %s", i, got, out)
		}
	}
}

func testCommand() Command {
	return Command{
		V: 1, ID: "deploy-7", Verb: "model.rollback", Args: json.RawMessage(`{"model":"pump-anomaly","note":"zurück"}`),
		IssuedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC),
	}
}

func TestSignVerifyCommand(t *testing.T) {
	pub, sec, _ := trust.GenerateKey()
	kr, _ := trust.NewKeyring(pub)
	raw, err := SignCommand(testCommand(), sec)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := DecodeCommand(raw); err != nil || c.Signature == "" {
		t.Fatalf("signed command does not decode: %v", err)
	}
	if id, err := VerifyCommand(raw, kr); err != nil || id != pub.ID() {
		t.Fatalf("VerifyCommand = %q, %v", id, err)
	}
	// Reformatting and reordering keep the signature valid: it covers the
	// canonical form.
	var generic map[string]any
	json.Unmarshal(raw, &generic)
	pretty, _ := json.MarshalIndent(generic, "", "    ")
	if _, err := VerifyCommand(pretty, kr); err != nil {
		t.Errorf("reformatted command: %v", err)
	}
	// Any change of meaning breaks it.
	for _, tamper := range [][2]string{{`"deploy-7"`, `"deploy-8"`}, {`zurück`, `zuruck`}, {`11:00:00Z`, `12:00:00Z`}} {
		bad := bytes.Replace(raw, []byte(tamper[0]), []byte(tamper[1]), 1)
		if _, err := VerifyCommand(bad, kr); !errors.Is(err, trust.ErrBadSignature) {
			t.Errorf("tampered %s: err = %v", tamper[0], err)
		}
	}
	unsigned, _ := json.Marshal(testCommand())
	if _, err := VerifyCommand(unsigned, kr); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
	strangerPub, strangerSec, _ := trust.GenerateKey()
	other, _ := SignCommand(testCommand(), strangerSec)
	if id, err := VerifyCommand(other, kr); !errors.Is(err, trust.ErrUntrustedKey) || id != strangerPub.ID() || !strings.Contains(err.Error(), strangerPub.ID()) {
		t.Errorf("unknown key: %q %v", id, err)
	}
	notB64 := bytes.Replace(unsigned, []byte(`"v":1`), []byte(`"v":1,"signature":"%%%"`), 1)
	if _, err := VerifyCommand(notB64, kr); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Errorf("bad base64: %v", err)
	}
}

// TestCommandSignedWithMinisign follows the documented recipe with the real
// tools: jq makes the canonical form, minisign signs it, axle verifies.
func TestCommandSignedWithMinisign(t *testing.T) {
	jq, err1 := exec.LookPath("jq")
	ms, err2 := exec.LookPath("minisign")
	if err1 != nil || err2 != nil {
		t.Skip("jq or minisign not installed: the documented shell recipe is not checked")
	}
	dir := t.TempDir()
	pubPath, keyPath := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key")
	if out, err := exec.Command(ms, "-G", "-W", "-p", pubPath, "-s", keyPath).CombinedOutput(); err != nil {
		t.Fatalf("minisign -G: %v %s", err, out)
	}
	cmdJSON, _ := json.Marshal(testCommand())
	jqCmd := exec.Command(jq, "-cjS", "del(.signature)")
	jqCmd.Stdin = bytes.NewReader(cmdJSON)
	canon, err := jqCmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	canonPath := filepath.Join(dir, "cmd.canon")
	os.WriteFile(canonPath, canon, 0o644)
	if out, err := exec.Command(ms, "-S", "-s", keyPath, "-m", canonPath).CombinedOutput(); err != nil {
		t.Fatalf("minisign -S: %v %s", err, out)
	}
	sig, _ := os.ReadFile(canonPath + ".minisig")
	c := testCommand()
	c.Signature = base64.StdEncoding.EncodeToString(sig)
	raw, _ := json.Marshal(c)
	pub, _ := trust.ReadPublicKeyFile(pubPath)
	kr, _ := trust.NewKeyring(pub)
	if id, err := VerifyCommand(raw, kr); err != nil || id != pub.ID() {
		t.Fatalf("VerifyCommand of a minisign-signed command = %q, %v", id, err)
	}
}

func FuzzCanonicalCommand(f *testing.F) {
	for _, c := range canonCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"a":"\xff\xfe"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c1, err := CanonicalCommand(raw)
		if err != nil {
			return
		}
		// The canonical form is a fixed point: canonicalising it again
		// changes nothing, so signer and verifier always agree.
		c2, err := CanonicalCommand(c1)
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("not a fixed point:\n%s\n%s (%v)", c1, c2, err)
		}
	})
}
