// Package scripts holds the installer, the systemd unit and example
// configs; its test checks what install.sh writes.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallIntoDestdir(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "axle")
	build := exec.Command("go", "build", "-o", bin, "../agent/cmd/axle")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	root := filepath.Join(tmp, "root")
	run := func() string {
		cmd := exec.Command("sh", "install.sh", bin)
		cmd.Env = append(os.Environ(), "DESTDIR="+root, "PREFIX=/usr")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	run()

	checks := []struct {
		path string
		mode os.FileMode
	}{
		{"usr/bin/axle", 0o755},
		{"lib/systemd/system/axle.service", 0o644},
		{"etc/axle/axle.yaml", 0o640},
		{"etc/axle", 0o750 | os.ModeDir},
		{"var/lib/axle", 0o750 | os.ModeDir},
	}
	for _, c := range checks {
		fi, err := os.Stat(filepath.Join(root, c.path))
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, "lib/systemd/system/axle.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ExecStart=/usr/bin/axle agent --config /etc/axle/axle.yaml",
		"Type=notify", "WatchdogSec=", "Restart=always", "StateDirectory=axle",
		"NoNewPrivileges=yes", "ProtectSystem=strict",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(string(unit), "@") && strings.Contains(string(unit), "@BINDIR@") {
		t.Error("unit still has @BINDIR@ placeholders")
	}

	// The installed config is valid for the installed binary.
	check := exec.Command(filepath.Join(root, "usr/bin/axle"), "agent", "--check-config", filepath.Join(root, "etc/axle/axle.yaml"))
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("installed config does not validate: %v\n%s", err, out)
	}

	// A second install keeps the operator's edited config.
	cfg := filepath.Join(root, "etc/axle/axle.yaml")
	if err := os.WriteFile(cfg, []byte("device: edited\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if out := run(); !strings.Contains(out, "kept existing") {
		t.Errorf("second install did not say it kept the config:\n%s", out)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "device: edited\n" {
		t.Error("second install overwrote the operator's config")
	}
	if _, err := os.Stat(cfg + ".example"); err != nil {
		t.Errorf("no example beside the kept config: %v", err)
	}

	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		// verify resolves ExecStart paths, so point it at the staged binary.
		staged := strings.ReplaceAll(string(unit), "/usr/bin/axle", filepath.Join(root, "usr/bin/axle"))
		staged = strings.ReplaceAll(staged, "/etc/axle/axle.yaml", cfg)
		unitPath := filepath.Join(tmp, "axle.service")
		os.WriteFile(unitPath, []byte(staged), 0o644)
		out, err := exec.Command(sa, "verify", unitPath).CombinedOutput()
		// Missing users/groups on a build machine are not unit errors.
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "axle.service") && !strings.Contains(line, "group") && !strings.Contains(line, "user") && strings.TrimSpace(line) != "" {
				t.Errorf("systemd-analyze verify: %s (err %v)", line, err)
			}
		}
	} else {
		t.Log("systemd-analyze not available; unit syntax not verified")
	}
}
