package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallSelfUpdateLayout: with SELFUPDATE=1 the binary goes to the
// state directory (writable under ProtectSystem=strict) and PREFIX/bin/axle
// links to it; a second install upgrades the binary in place keeping the
// config and the state; --uninstall keeps config and state, --purge removes
// them.
func TestInstallSelfUpdateLayout(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	v1, v2 := filepath.Join(tmp, "axle-v1"), filepath.Join(tmp, "axle-v2")
	if err := os.WriteFile(v1, []byte("#!/bin/sh\necho v1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, []byte("#!/bin/sh\necho v2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sh := func(args ...string) string {
		cmd := exec.Command("sh", append([]string{"install.sh"}, args...)...)
		cmd.Env = append(os.Environ(), "DESTDIR="+root, "PREFIX=/usr", "SELFUPDATE=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	sh(v1)
	link, err := os.Readlink(filepath.Join(root, "usr/bin/axle"))
	if err != nil || link != "/var/lib/axle/bin/axle" {
		t.Fatalf("usr/bin/axle: link %q %v, want /var/lib/axle/bin/axle", link, err)
	}
	real := filepath.Join(root, "var/lib/axle/bin/axle")
	if fi, err := os.Stat(real); err != nil || fi.Mode() != 0o755 {
		t.Fatalf("%s: %v %v", real, fi, err)
	}

	cfg := filepath.Join(root, "etc/axle/axle.yaml")
	state := filepath.Join(root, "var/lib/axle/outbox.db")
	os.WriteFile(cfg, []byte("device: edited\n"), 0o640)
	os.WriteFile(state, []byte("records"), 0o600)
	sh(v2)
	if b, _ := os.ReadFile(real); string(b) != "#!/bin/sh\necho v2\n" {
		t.Errorf("upgrade did not replace the binary: %q", b)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "device: edited\n" {
		t.Error("upgrade overwrote the config")
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("upgrade lost the state: %v", err)
	}

	if out := sh("--uninstall"); !strings.Contains(out, "kept") {
		t.Errorf("uninstall output:\n%s", out)
	}
	for _, gone := range []string{"usr/bin/axle", "var/lib/axle/bin", "lib/systemd/system/axle.service"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after --uninstall: %v", gone, err)
		}
	}
	if _, err := os.Stat(cfg); err != nil {
		t.Errorf("--uninstall removed the config: %v", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("--uninstall removed the state: %v", err)
	}
	sh("--uninstall", "--purge")
	for _, gone := range []string{"etc/axle", "var/lib/axle"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after --purge: %v", gone, err)
		}
	}
}
