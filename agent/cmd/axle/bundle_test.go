package main

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/trust"
)

func axleCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const packManifest = `{
  "v": 1, "name": "pump-anomaly", "version": "2.0.0", "description": "demo model, bundled",
  "runtime": {"ops": [], "arena_bytes": 0},
  "input": {"channels": ["vib_x", "vib_y", "vib_z", "bearing_temp"], "window": "1s", "hop": "1s", "features": ["rms", "peak", "kurtosis"]},
  "output": {"kind": "score", "index": 0, "thresholds": {"warn": 5.68, "alarm": 11.4, "raise": 2, "clear": 3}},
  "test_vectors": [{"input": "tv0.bin", "output": 0, "expected": [0.5], "tolerance": 0.01}],
  "lineage": {"parent": "1", "training_run": "demomodel-20261125"}
}`

// TestBundleCLI runs keygen, pack, sign, verify and inspect end to end on
// the demo model, and checks the result with the minisign tool when present.
func TestBundleCLI(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(p("m.json"), []byte(packManifest), 0o644)
	os.WriteFile(p("model.tflite"), demomodel.TFLite(), 0o644)
	os.WriteFile(p("tv0.bin"), make([]byte, 48), 0o644)

	if code, out, errs := axleCLI(t, "keygen", "-W", "-p", p("k.pub"), "-s", p("k.key")); code != 0 || !strings.Contains(out, "key id") {
		t.Fatalf("keygen: %d %s %s", code, out, errs)
	}
	if st, _ := os.Stat(p("k.key")); st.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode %v", st.Mode().Perm())
	}
	if code, _, errs := axleCLI(t, "keygen", "-W", "-p", p("k.pub"), "-s", p("k.key")); code != 1 || !strings.Contains(errs, "exists") {
		t.Errorf("keygen over existing keys: %d %s", code, errs)
	}
	pub, err := trust.ReadPublicKeyFile(p("k.pub"))
	if err != nil {
		t.Fatal(err)
	}

	axb := p("pump.axb")
	if code, _, errs := axleCLI(t, "model", "pack", "--manifest", p("m.json"), "--model", p("model.tflite"), "--extra", p("tv0.bin"), "-o", axb); code != 0 {
		t.Fatalf("pack: %d %s", code, errs)
	}
	code, _, errs := axleCLI(t, "model", "verify", "-p", p("k.pub"), axb)
	if code != 1 || !strings.Contains(errs, "unsigned") {
		t.Errorf("verify unsigned: %d %s", code, errs)
	}
	if code, _, errs := axleCLI(t, "model", "sign", "-s", p("k.key"), axb); code != 0 {
		t.Fatalf("sign: %d %s", code, errs)
	}
	code, out, errs := axleCLI(t, "model", "verify", "-p", p("k.pub"), axb)
	if code != 0 || !strings.Contains(out, "ok: pump-anomaly 2.0.0") || !strings.Contains(out, pub.ID()) {
		t.Fatalf("verify: %d %q %s", code, out, errs)
	}
	// The pack derived the runtime from the model.
	f, _ := os.Open(axb)
	st, _ := f.Stat()
	b, err := bundle.Open(f, st.Size(), bundle.Limits{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Manifest.Runtime.Ops) == 0 || b.Manifest.Runtime.ArenaBytes <= 0 || b.Manifest.Created.IsZero() {
		t.Errorf("runtime not derived: %+v created %v", b.Manifest.Runtime, b.Manifest.Created)
	}

	code, out, _ = axleCLI(t, "model", "inspect", axb)
	for _, want := range []string{"pump-anomaly 2.0.0", "key " + pub.ID(), "model.tflite", "tv0.bin", b.Manifest.Members[0].SHA256, `"training_run": "demomodel-20261125"`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}

	// Another key: refused, naming the key that signed.
	axleCLI(t, "keygen", "-W", "-p", p("o.pub"), "-s", p("o.key"))
	code, _, errs = axleCLI(t, "model", "verify", "-p", p("o.pub"), axb)
	if code != 1 || !strings.Contains(errs, "untrusted key "+pub.ID()) {
		t.Errorf("verify with another key: %d %s", code, errs)
	}
	// Both keys trusted (rotation): accepted.
	if code, _, errs := axleCLI(t, "model", "verify", "-p", p("o.pub"), "-p", pub.String(), axb); code != 0 {
		t.Errorf("verify with a keyring of two: %d %s", code, errs)
	}

	// A flipped byte in the model is caught.
	raw, _ := os.ReadFile(axb)
	i := bytes.Index(raw, demomodel.TFLite()[:64])
	raw[i+200] ^= 0x40
	os.WriteFile(p("bad.axb"), raw, 0o644)
	code, _, errs = axleCLI(t, "model", "verify", "-p", p("k.pub"), p("bad.axb"))
	if code != 1 || !strings.Contains(errs, "model.tflite") || !strings.Contains(errs, "sha256") {
		t.Errorf("verify tampered: %d %s", code, errs)
	}

	// Usage errors exit 2.
	if code, _, _ := axleCLI(t, "model", "pack", "--model", p("model.tflite")); code != 2 {
		t.Errorf("pack without manifest: exit %d", code)
	}
	if code, _, _ := axleCLI(t, "model", "verify", axb); code != 2 {
		t.Errorf("verify without key: exit %d", code)
	}

	// The signature inside is a plain minisign signature of manifest.json.
	tool, err := exec.LookPath("minisign")
	if err != nil {
		t.Log("minisign not installed: bundle signature not checked with it")
		return
	}
	tr := tar.NewReader(bytes.NewReader(mustRead(t, axb)))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == bundle.ManifestName || h.Name == bundle.SignatureName {
			data := make([]byte, h.Size)
			tr.Read(data)
			os.WriteFile(p(h.Name), data, 0o644)
		}
	}
	mout, err := exec.Command(tool, "-V", "-p", p("k.pub"), "-m", p(bundle.ManifestName)).CombinedOutput()
	if err != nil || !strings.Contains(string(mout), "name:pump-anomaly version:2.0.0") {
		t.Errorf("minisign -V on the bundle's manifest: %v %s", err, mout)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
