// Command mkrelease packages the binaries of `make cross`: `make package`
// runs `mkrelease package` (.deb and .rpm per architecture) and `make image`
// runs `mkrelease image` (a multi-arch OCI image layout).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/axle-edge/axle/release"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mkrelease package|image [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("mkrelease "+os.Args[1], flag.ExitOnError)
	version := fs.String("version", "dev", "version stamped into packages and image labels")
	dist := fs.String("dist", "dist", "folder with the make cross binaries; packages are written here")
	mtime := fs.String("mtime", "", "timestamp for every file (RFC 3339; default: SOURCE_DATE_EPOCH or now)")
	unit := fs.String("unit", "scripts/axle.service", "systemd unit template")
	config := fs.String("config", "scripts/axle.example.yaml", "example configuration, installed as /etc/axle/axle.yaml")
	out := fs.String("out", "dist/oci", "OCI image layout folder (image)")
	source := fs.String("source", "https://github.com/axle-edge/axle", "source repository label (image)")
	certs := fs.String("ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle put in the image")
	fs.Parse(os.Args[2:])
	t, err := stamp(*mtime)
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "package":
		paths, err := release.Packages(release.PackageOptions{
			Version: *version, Arches: release.Arches(*dist), Unit: *unit, Config: *config, OutDir: *dist, MTime: t,
		})
		if err != nil {
			fail(err)
		}
		for _, p := range paths {
			fmt.Println("wrote", p)
		}
	case "image":
		err := release.Image(release.ImageOptions{
			Version: *version, Source: *source, Platforms: release.Platforms(*dist), CACerts: *certs, Dir: *out, MTime: t,
		})
		if err != nil {
			fail(err)
		}
		fmt.Println("wrote OCI image layout", *out, "(linux/amd64, linux/arm64, linux/arm/v7)")
	default:
		fail(fmt.Errorf("unknown command %q (package or image)", os.Args[1]))
	}
}

// stamp is the files' time: the flag, else SOURCE_DATE_EPOCH (reproducible
// builds), else now.
func stamp(s string) (time.Time, error) {
	if s != "" {
		return time.Parse(time.RFC3339, s)
	}
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		var sec int64
		if _, err := fmt.Sscan(e, &sec); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", e, err)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkrelease:", err)
	os.Exit(1)
}
