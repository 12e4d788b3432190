package release

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/axle-edge/axle/internal/testtool"
)

func TestPackageVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v0.2.0": "0.2.0", "v0.2.0-3-gabc1234": "0.2.0-3-gabc1234", "7958137": "7958137",
		"7958137-dirty": "7958137-dirty", "abc1234": "0.0.0~gitabc1234", "dev": "0.0.0~gitdev",
	} {
		got, err := PackageVersion(in)
		if err != nil || got != want {
			t.Errorf("PackageVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.0 beta", "1/2"} {
		if _, err := PackageVersion(bad); err == nil {
			t.Errorf("PackageVersion(%q) accepted", bad)
		}
	}
}

// dist returns the folder whose binaries are packaged: AXLE_DIST (make test
// points it at the real make cross output) or a folder of stand-in
// binaries, all a tiny Go program that prints its version, built for this
// machine.
func dist(t *testing.T) (dir string, real bool) {
	if d := os.Getenv("AXLE_DIST"); d != "" {
		return d, true
	}
	dir = t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"axle stand-in\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "axle-linux-amd64")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build stand-in: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"axle-linux-arm64", "axle-linux-armv7", "axle-linux-armv5"} {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, false
}

var stamp = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestDebAndRPM(t *testing.T) {
	dpkgDeb := testtool.Find(t, "dpkg-deb", "dpkg")
	d, _ := dist(t)
	out := t.TempDir()
	paths, err := Packages(PackageOptions{
		Version: "v1.2.3-4-gabcdef", Arches: Arches(d), Unit: "../scripts/axle.service",
		Config: "../scripts/axle.example.yaml", OutDir: out, MTime: stamp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 8 {
		t.Fatalf("got %d packages, want 8 (deb and rpm for 4 architectures): %v", len(paths), paths)
	}
	for _, a := range Arches(d) {
		deb := filepath.Join(out, "axle_1.2.3-4-gabcdef-1_"+a.Deb+".deb")
		t.Run(a.Deb, func(t *testing.T) {
			field := func(name string) string {
				b, err := exec.Command(dpkgDeb, "-f", deb, name).Output()
				if err != nil {
					t.Fatalf("dpkg-deb -f %s: %v", name, err)
				}
				return strings.TrimSpace(string(b))
			}
			for name, want := range map[string]string{"Package": "axle", "Version": "1.2.3-4-gabcdef-1", "Architecture": a.Deb, "Section": "net"} {
				if got := field(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if m := field("Maintainer"); m == "" {
				t.Error("no Maintainer")
			}
			list, err := exec.Command(dpkgDeb, "-c", deb).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"-rwxr-xr-x root/root", "./usr/bin/axle", "./lib/systemd/system/axle.service", "./etc/axle/axle.yaml", "./var/lib/axle/"} {
				if !strings.Contains(string(list), want) {
					t.Errorf("contents lack %q:\n%s", want, list)
				}
			}
			ctl := t.TempDir()
			if out, err := exec.Command(dpkgDeb, "-e", deb, ctl).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb -e: %v\n%s", err, out)
			}
			conf, _ := os.ReadFile(filepath.Join(ctl, "conffiles"))
			if strings.TrimSpace(string(conf)) != "/etc/axle/axle.yaml" {
				t.Errorf("conffiles = %q, want /etc/axle/axle.yaml", conf)
			}
			post, _ := os.ReadFile(filepath.Join(ctl, "postinst"))
			for _, want := range []string{"useradd --system", "systemctl enable axle.service"} {
				if !strings.Contains(string(post), want) {
					t.Errorf("postinst lacks %q", want)
				}
			}
			for _, line := range strings.Split(string(post), "\n") {
				if l := strings.TrimSpace(line); strings.HasPrefix(l, "systemctl start") || strings.Contains(l, "enable --now") {
					t.Errorf("postinst starts the service (%q); it must wait until the operator configured it", l)
				}
			}
		})
	}
	// Unpack one package into a scratch root with dpkg itself: its files land
	// where the unit expects them and dpkg records the conffile.
	dpkg := testtool.Find(t, "dpkg", "dpkg")
	root := t.TempDir()
	for _, p := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"} {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(out, "axle_1.2.3-4-gabcdef-1_amd64.deb")
	cmd := exec.Command(dpkg, "--root="+root, "--force-not-root", "--force-architecture", "--unpack", deb)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg --unpack into a scratch root: %v\n%s", err, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "lib/systemd/system/axle.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/axle agent --config /etc/axle/axle.yaml") || strings.Contains(string(unit), "@BINDIR@") || strings.Contains(string(unit), "@SYSCONFDIR@") {
		t.Errorf("installed unit is not rendered for /usr/bin and /etc:\n%s", unit)
	}
	want, _ := os.ReadFile(filepath.Join(d, "axle-linux-amd64"))
	got, err := os.ReadFile(filepath.Join(root, "usr/bin/axle"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("installed /usr/bin/axle differs from the amd64 binary (err %v)", err)
	}
	status, _ := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if !strings.Contains(string(status), "Package: axle") || !strings.Contains(string(status), "/etc/axle/axle.yaml") {
		t.Errorf("dpkg status does not record axle and its conffile:\n%s", status)
	}
	for _, a := range Arches(d) {
		rpm := filepath.Join(out, "axle-1.2.3-4-gabcdef-1."+a.RPM+".rpm")
		b, err := os.ReadFile(rpm)
		if err != nil {
			t.Fatalf("rpm for %s: %v", a.Deb, err)
		}
		if !bytes.HasPrefix(b, []byte{0xed, 0xab, 0xee, 0xdb}) {
			t.Errorf("%s does not start with the RPM lead", rpm)
		}
	}
}

func TestImageLayout(t *testing.T) {
	d, real := dist(t)
	dir := filepath.Join(t.TempDir(), "oci")
	err := Image(ImageOptions{Version: "v1.2.3", Source: "https://example.invalid/axle", Platforms: Platforms(d),
		CACerts: "/etc/ssl/certs/ca-certificates.crt", Dir: dir, MTime: stamp})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 3 {
		t.Fatalf("index has %d manifests, want 3", len(im.Manifests))
	}
	seen := map[string]bool{}
	for _, desc := range im.Manifests {
		p := desc.Platform
		if p == nil || p.OS != "linux" {
			t.Fatalf("manifest %s has platform %v", desc.Digest, p)
		}
		key := p.Architecture + p.Variant
		seen[key] = true
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Architecture != p.Architecture || cfg.Variant != p.Variant || cfg.OS != "linux" {
			t.Errorf("%s: config platform %s/%s/%s", key, cfg.OS, cfg.Architecture, cfg.Variant)
		}
		if strings.Join(cfg.Config.Entrypoint, " ") != "/axle" || cfg.Config.User != "65532:65532" {
			t.Errorf("%s: entrypoint %v user %q", key, cfg.Config.Entrypoint, cfg.Config.User)
		}
		if cfg.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" || cfg.Config.Labels["org.opencontainers.image.source"] == "" {
			t.Errorf("%s: labels %v", key, cfg.Config.Labels)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("%s: %d layers, err %v; want 1", key, len(layers), err)
		}
		files := untar(t, layers[0])
		if !strings.Contains(string(files["etc/passwd"]), "axle:x:65532:65532") || len(files["etc/ssl/certs/ca-certificates.crt"]) == 0 {
			t.Errorf("%s: layer lacks the user or the CA bundle", key)
		}
		want, _ := os.ReadFile(filepath.Join(d, map[string]string{"amd64": "axle-linux-amd64", "arm64": "axle-linux-arm64", "armv7": "axle-linux-armv7"}[key]))
		if !bytes.Equal(files["axle"], want) {
			t.Errorf("%s: /axle in the layer differs from the binary", key)
		}
		if key == runtime.GOARCH {
			bin := filepath.Join(t.TempDir(), "axle")
			if err := os.WriteFile(bin, files["axle"], 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "version").CombinedOutput()
			if err != nil {
				t.Fatalf("running the binary from the %s layer: %v\n%s", key, err, out)
			}
			if real && !strings.Contains(string(out), "axle") {
				t.Errorf("axle version printed %q", out)
			}
		}
	}
	for _, k := range []string{"amd64", "arm64", "armv7"} {
		if !seen[k] {
			t.Errorf("no manifest for %s", k)
		}
	}
}

type layerReader interface {
	Uncompressed() (io.ReadCloser, error)
}

func untar(t *testing.T, l layerReader) map[string][]byte {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
}
