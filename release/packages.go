package release

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"
)

var (
	//go:embed pkgscripts/postinst.sh
	postinst string
	//go:embed pkgscripts/prerm.sh
	prerm string
	//go:embed pkgscripts/postrm.sh
	postrm string
)

// Arch is one package architecture and the binary built for it.
type Arch struct {
	Deb    string // Debian name: amd64, arm64, armhf, armel
	RPM    string // RPM name: x86_64, aarch64, armv7hl, armv5tel
	Binary string // path of the static axle binary for it
}

// Arches are the package architectures and the `make cross` binary each one
// takes: Debian's armhf is ARMv7 with hard float, armel ARMv5 and up, which
// is why armel gets the GOARM=5 build rather than the ARMv6 one.
func Arches(dist string) []Arch {
	return []Arch{
		{"amd64", "x86_64", filepath.Join(dist, "axle-linux-amd64")},
		{"arm64", "aarch64", filepath.Join(dist, "axle-linux-arm64")},
		{"armhf", "armv7hl", filepath.Join(dist, "axle-linux-armv7")},
		{"armel", "armv5tel", filepath.Join(dist, "axle-linux-armv5")},
	}
}

// PackageOptions say what goes into the packages and where they go.
type PackageOptions struct {
	Version string // the build's version (git describe); made Debian-safe
	Arches  []Arch
	Unit    string // scripts/axle.service, with @BINDIR@ and @SYSCONFDIR@
	Config  string // scripts/axle.example.yaml, installed as /etc/axle/axle.yaml
	OutDir  string
	// MTime stamps every file, so the same inputs give the same packages.
	MTime time.Time
}

// copyright is the package's /usr/share/doc/axle/copyright (Debian's
// machine-readable format).
const copyright = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: axle
Source: https://github.com/axle-edge/axle

Files: *
Copyright: 2026 the axle developers
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
`

var debVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~-]*$`)

// PackageVersion turns a git describe string into a version dpkg and rpm
// accept: "v0.2.0-3-gabc" -> "0.2.0-3-gabc"; a bare commit "7958137" ->
// "0.0.0~git7958137".
func PackageVersion(v string) (string, error) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if v == "" {
		return "", fmt.Errorf("release: empty version")
	}
	if v[0] < '0' || v[0] > '9' {
		v = "0.0.0~git" + v
	}
	if !debVersion.MatchString(v) {
		return "", fmt.Errorf("release: version %q has characters a package version cannot hold", v)
	}
	return v, nil
}

// Packages writes a .deb and an .rpm per architecture into OutDir and
// returns their paths.
func Packages(opts PackageOptions) ([]string, error) {
	version, err := PackageVersion(opts.Version)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "axle-package-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	unit, err := os.ReadFile(opts.Unit)
	if err != nil {
		return nil, fmt.Errorf("release: unit: %w", err)
	}
	rendered := strings.NewReplacer("@BINDIR@", "/usr/bin", "@SYSCONFDIR@", "/etc").Replace(string(unit))
	scripts := map[string]string{"axle.service": rendered, "postinst": postinst, "prerm": prerm, "postrm": postrm, "copyright": copyright}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(work, name), []byte(body), 0o755); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(opts.Config); err != nil {
		return nil, fmt.Errorf("release: config: %w", err)
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, a := range opts.Arches {
		if _, err := os.Stat(a.Binary); err != nil {
			return nil, fmt.Errorf("release: %s binary: %w (run make cross)", a.Deb, err)
		}
		for _, format := range []string{"deb", "rpm"} {
			info := packageInfo(version, a, opts, work)
			p, err := writePackage(info, format, opts.OutDir)
			if err != nil {
				return nil, fmt.Errorf("release: %s %s: %w", a.Deb, format, err)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func packageInfo(version string, a Arch, opts PackageOptions, work string) *nfpm.Info {
	fi := func(mode os.FileMode) *files.ContentFileInfo {
		return &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: opts.MTime}
	}
	info := &nfpm.Info{
		Name:          "axle",
		Arch:          a.Deb,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Release:       "1",
		Section:       "net",
		Priority:      "optional",
		Maintainer:    "axle developers <axle@axle-edge.invalid>",
		Description: "edge inference agent for industrial gateways\n" +
			"Reads machine sensors, runs TensorFlow Lite models in a pure-Go interpreter,\n" +
			"keeps every result in a durable outbox and syncs it over MQTT.",
		Vendor:   "axle",
		Homepage: "https://github.com/axle-edge/axle",
		License:  "Apache-2.0",
		MTime:    opts.MTime,
		Overridables: nfpm.Overridables{
			Contents: files.Contents{
				{Source: a.Binary, Destination: "/usr/bin/axle", FileInfo: fi(0o755)},
				{Source: filepath.Join(work, "axle.service"), Destination: "/lib/systemd/system/axle.service", FileInfo: fi(0o644)},
				{Source: opts.Config, Destination: "/etc/axle/axle.yaml", Type: files.TypeConfigNoReplace, FileInfo: fi(0o640)},
				{Source: filepath.Join(work, "copyright"), Destination: "/usr/share/doc/axle/copyright", FileInfo: fi(0o644)},
				{Destination: "/etc/axle", Type: files.TypeDir, FileInfo: fi(0o750)},
				{Destination: "/var/lib/axle", Type: files.TypeDir, FileInfo: fi(0o750)},
			},
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(work, "postinst"),
				PreRemove:   filepath.Join(work, "prerm"),
				PostRemove:  filepath.Join(work, "postrm"),
			},
			Deb: nfpm.Deb{Arch: a.Deb},
			RPM: nfpm.RPM{Arch: a.RPM, Summary: "edge inference agent for industrial gateways", Group: "System Environment/Daemons", BuildHost: "axle"},
		},
	}
	// useradd/adduser and systemctl are what the maintainer scripts call.
	info.Overridables.Recommends = []string{"ca-certificates"}
	return info
}

func writePackage(info *nfpm.Info, format, outDir string) (string, error) {
	var p nfpm.Packager
	switch format {
	case "deb":
		p = deb.Default
	case "rpm":
		p = rpm.DefaultRPM
	}
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return "", err
	}
	name := filepath.Join(outDir, p.ConventionalFileName(info))
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	if err := p.Package(info, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return name, os.Rename(tmp, name)
}
