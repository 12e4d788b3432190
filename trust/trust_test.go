package trust

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t *testing.T) (PublicKey, SecretKey) {
	t.Helper()
	p, s, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pub, sec := mustKey(t)
	if pub.ID() != sec.ID() {
		t.Fatalf("public id %s != secret id %s", pub.ID(), sec.ID())
	}
	msg := []byte("manifest bytes")
	sig, err := Sign(sec, msg, "name:pump version:1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseSignature(sig)
	if err != nil || !ps.Prehashed || ps.KeyID != pub.ID() {
		t.Fatalf("ParseSignature = %+v, %v; want prehashed by %s", ps, err, pub.ID())
	}
	kr, err := NewKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	id, tc, err := kr.Verify(msg, sig)
	if err != nil || id != pub.ID() || tc != "name:pump version:1.2.0" {
		t.Fatalf("Verify = %q, %q, %v", id, tc, err)
	}
	if _, _, err := kr.Verify([]byte("manifest bytez"), sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered message: err = %v, want ErrBadSignature", err)
	}
	// Altering the trusted comment must break the signature too.
	forged := bytes.Replace(sig, []byte("version:1.2.0"), []byte("version:9.9.9"), 1)
	if _, _, err := kr.Verify(msg, forged); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered trusted comment: err = %v, want ErrBadSignature", err)
	}
	if _, err := Sign(sec, msg, "two\nlines"); err == nil {
		t.Fatal("multi-line trusted comment accepted")
	}
}

func TestKeyringRotationAndUnknownKey(t *testing.T) {
	oldPub, oldSec := mustKey(t)
	newPub, newSec := mustKey(t)
	strangerPub, strangerSec := mustKey(t)
	kr, err := ParseKeyring([]string{oldPub.String(), newPub.String()})
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("x")
	for _, sk := range []SecretKey{oldSec, newSec} {
		sig, _ := Sign(sk, msg, "t")
		if id, _, err := kr.Verify(msg, sig); err != nil || id != sk.ID() {
			t.Fatalf("key %s: id %q err %v", sk.ID(), id, err)
		}
	}
	sig, _ := Sign(strangerSec, msg, "t")
	id, tc, err := kr.Verify(msg, sig)
	if !errors.Is(err, ErrUntrustedKey) || id != strangerPub.ID() || tc != "" {
		t.Fatalf("stranger: id %q tc %q err %v", id, tc, err)
	}
	for _, want := range []string{strangerPub.ID(), oldPub.ID(), newPub.ID()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name key %s", err, want)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	pub, sec := mustKey(t)
	pb, _ := pub.MarshalText()
	sb, err := MarshalSecretKey(sec, "")
	if err != nil {
		t.Fatal(err)
	}
	pp, sp := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key")
	os.WriteFile(pp, pb, 0o644)
	os.WriteFile(sp, sb, 0o600)
	pub2, err := ReadPublicKeyFile(pp)
	if err != nil || pub2.String() != pub.String() {
		t.Fatalf("public key file: %v, %v", pub2, err)
	}
	sec2, err := ReadSecretKeyFile(sp, "ignored for a plain key")
	if err != nil || sec2.Public().String() != pub.String() {
		t.Fatalf("secret key file: %v", err)
	}
	kr, err := ParseKeyring([]string{pp})
	if err != nil || len(kr.IDs()) != 1 {
		t.Fatalf("keyring from file: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	for _, in := range []string{"", "RWnotbase64!!", "untrusted comment: x\nAAAA", strings.Repeat("A", 9000)} {
		if _, err := ParsePublicKey(in); err == nil || !strings.HasPrefix(err.Error(), "trust: ") {
			t.Errorf("ParsePublicKey(%.20q) = %v, want a trust: error", in, err)
		}
	}
	kr, _ := NewKeyring()
	for _, sig := range []string{"", "garbage", "untrusted comment: a\nAAAA\ntrusted comment: b\nAAAA\n"} {
		if _, _, err := kr.Verify([]byte("m"), []byte(sig)); err == nil {
			t.Errorf("Verify(%q) accepted", sig)
		}
	}
	if _, err := ParseSecretKey([]byte("untrusted comment: x\nRWQ="), ""); err == nil {
		t.Error("short secret key accepted")
	}
	_, err := ReadPublicKeyFile(filepath.Join(t.TempDir(), "missing.pub"))
	if err == nil || !strings.Contains(err.Error(), "missing.pub") {
		t.Errorf("missing file: %v", err)
	}
}

// TestEncryptedSecretKey uses minisign's real cost parameters (1 GiB of
// scrypt memory), so it runs only when AXLE_SLOW_TESTS is set.
func TestEncryptedSecretKey(t *testing.T) {
	if os.Getenv("AXLE_SLOW_TESTS") == "" {
		t.Skip("set AXLE_SLOW_TESTS=1: scrypt with minisign's parameters needs 1 GiB")
	}
	_, sec := mustKey(t)
	b, err := MarshalSecretKey(sec, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSecretKey(b, ""); !errors.Is(err, ErrNeedPassword) {
		t.Fatal("encrypted key opened without password")
	}
	if _, err := ParseSecretKey(b, "wrong"); err == nil {
		t.Fatal("encrypted key opened with wrong password")
	}
	got, err := ParseSecretKey(b, "hunter2")
	if err != nil || got.ID() != sec.ID() {
		t.Fatalf("decrypt: %v", err)
	}
}

func minisignTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("minisign")
	if err != nil {
		t.Skip("minisign tool not installed (apt-get install minisign; make test installs it): interop not checked")
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestMinisignInterop checks both directions against the real tool:
// minisign's keys and signatures are read by axle, axle's are read by
// minisign.
func TestMinisignInterop(t *testing.T) {
	tool := minisignTool(t)
	dir := t.TempDir()
	msgPath := filepath.Join(dir, "manifest.json")
	msg := []byte(`{"v":1,"name":"pump"}`)
	os.WriteFile(msgPath, msg, 0o644)

	// minisign makes the key pair and signs; axle verifies.
	mpub, msec := filepath.Join(dir, "m.pub"), filepath.Join(dir, "m.key")
	runTool(t, tool, "-G", "-W", "-p", mpub, "-s", msec)
	runTool(t, tool, "-S", "-s", msec, "-m", msgPath, "-t", "name:pump version:1")
	pub, err := ReadPublicKeyFile(mpub)
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := os.ReadFile(mpub)
	if !strings.Contains(string(pubText), pub.ID()) {
		t.Errorf("minisign's key file %q does not show id %s as axle formats it", pubText, pub.ID())
	}
	kr, _ := NewKeyring(pub)
	sig, _ := os.ReadFile(msgPath + ".minisig")
	if ps, _ := ParseSignature(sig); !ps.Prehashed {
		t.Errorf("minisign's default signature not prehashed: %+v", ps)
	}
	id, tc, err := kr.Verify(msg, sig)
	if err != nil || id != pub.ID() || tc != "name:pump version:1" {
		t.Fatalf("axle verifying minisign: %q %q %v", id, tc, err)
	}
	// minisign's legacy (non-prehashed) form verifies too.
	runTool(t, tool, "-S", "-l", "-s", msec, "-m", msgPath, "-x", msgPath+".legacy", "-t", "legacy")
	legacy, _ := os.ReadFile(msgPath + ".legacy")
	if _, tc, err := kr.Verify(msg, legacy); err != nil || tc != "legacy" {
		t.Fatalf("legacy signature: %q %v", tc, err)
	}

	// axle signs with minisign's secret key; minisign verifies.
	sec, err := ReadSecretKeyFile(msec, "")
	if err != nil {
		t.Fatal(err)
	}
	asig, err := Sign(sec, msg, "signed by axle")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(msgPath+".axle", asig, 0o644)
	out := runTool(t, tool, "-V", "-H", "-p", mpub, "-m", msgPath, "-x", msgPath+".axle")
	if !strings.Contains(out, "signed by axle") {
		t.Errorf("minisign -V output %q lacks the trusted comment", out)
	}

	// axle makes the key pair; minisign signs with it and verifies axle's signature.
	apub, asec := mustKey(t)
	ap, as := filepath.Join(dir, "a.pub"), filepath.Join(dir, "a.key")
	pb, _ := apub.MarshalText()
	sb, _ := MarshalSecretKey(asec, "")
	os.WriteFile(ap, pb, 0o644)
	os.WriteFile(as, sb, 0o600)
	runTool(t, tool, "-S", "-W", "-s", as, "-m", msgPath, "-x", msgPath+".m2", "-t", "by minisign with axle key")
	m2, _ := os.ReadFile(msgPath + ".m2")
	akr, _ := NewKeyring(apub)
	if _, tc, err := akr.Verify(msg, m2); err != nil || tc != "by minisign with axle key" {
		t.Fatalf("minisign signing with axle's key: %q %v", tc, err)
	}
	a2, _ := Sign(asec, msg, "axle key")
	os.WriteFile(msgPath+".a2", a2, 0o644)
	runTool(t, tool, "-Vm", msgPath, "-x", msgPath+".a2", "-P", apub.String())
	// and minisign rejects a tampered message signed by axle.
	os.WriteFile(msgPath, append(msg, ' '), 0o644)
	if out, err := exec.Command(tool, "-Vm", msgPath, "-x", msgPath+".a2", "-P", apub.String()).CombinedOutput(); err == nil {
		t.Fatalf("minisign accepted a tampered message: %s", out)
	}
}
