package release

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Platform is one image platform and the binary built for it.
type Platform struct {
	Arch    string // GOARCH: amd64, arm64, arm
	Variant string // v7 for arm
	Binary  string
}

// Platforms are the image's platforms and their `make cross` binaries.
func Platforms(dist string) []Platform {
	return []Platform{
		{"amd64", "", filepath.Join(dist, "axle-linux-amd64")},
		{"arm64", "", filepath.Join(dist, "axle-linux-arm64")},
		{"arm", "v7", filepath.Join(dist, "axle-linux-armv7")},
	}
}

// The image runs as this unprivileged user; /var/lib/axle belongs to it.
const (
	imageUID  = 65532
	imageUser = "65532:65532"
)

// ImageOptions say what goes into the image and where the layout goes.
type ImageOptions struct {
	Version   string
	Source    string // the source repository, for org.opencontainers.image.source
	Platforms []Platform
	CACerts   string // a CA bundle, e.g. /etc/ssl/certs/ca-certificates.crt
	Dir       string // the OCI image layout directory written
	MTime     time.Time
}

// Image writes a multi-arch OCI image layout FROM scratch: the static
// binary at /axle, CA certificates, an /etc/passwd naming the non-root
// user, and /var/lib/axle for state.
func Image(opts ImageOptions) error {
	certs, err := os.ReadFile(opts.CACerts)
	if err != nil {
		return fmt.Errorf("release: CA certificates: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range opts.Platforms {
		bin, err := os.ReadFile(p.Binary)
		if err != nil {
			return fmt.Errorf("release: %s binary: %w (run make cross)", p.Arch, err)
		}
		img, err := platformImage(opts, p, bin, certs)
		if err != nil {
			return fmt.Errorf("release: image for %s%s: %w", p.Arch, p.Variant, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				MediaType: types.OCIManifestSchema1,
				Platform:  &v1.Platform{OS: "linux", Architecture: p.Arch, Variant: p.Variant},
			},
		})
	}
	if err := os.RemoveAll(opts.Dir); err != nil {
		return err
	}
	if _, err := layout.Write(opts.Dir, idx); err != nil {
		return fmt.Errorf("release: write OCI layout %s: %w", opts.Dir, err)
	}
	return nil
}

func platformImage(opts ImageOptions, p Platform, bin, certs []byte) (v1.Image, error) {
	layerTar, err := rootfs(bin, certs, opts.MTime)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "axle",
		"org.opencontainers.image.description": "edge inference agent for industrial gateways",
		"org.opencontainers.image.version":     opts.Version,
		"org.opencontainers.image.source":      opts.Source,
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
	cfg := &v1.ConfigFile{
		Architecture: p.Arch,
		Variant:      p.Variant,
		OS:           "linux",
		Created:      v1.Time{Time: opts.MTime},
		Config: v1.Config{
			Entrypoint: []string{"/axle"},
			Cmd:        []string{"agent", "--config", "/etc/axle/axle.yaml"},
			User:       imageUser,
			WorkingDir: "/var/lib/axle",
			Env:        []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
			Labels:     labels,
			Volumes:    map[string]struct{}{"/var/lib/axle": {}},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), cfg)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: opts.MTime}, CreatedBy: "axle release: static binary, CA certificates, non-root user"},
	})
}

// rootfs is the one layer: a tar with fixed owners and times, so the same
// binary gives the same layer digest.
func rootfs(bin, certs []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, uid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: uid, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\naxle:x:%d:%d:axle:/var/lib/axle:/sbin/nologin\n", imageUID, imageUID)
	group := fmt.Sprintf("root:x:0:\naxle:x:%d:\n", imageUID)
	steps := []func() error{
		func() error { return file("axle", 0o755, bin) },
		func() error { return dir("etc/", 0o755, 0) },
		func() error { return file("etc/passwd", 0o644, []byte(passwd)) },
		func() error { return file("etc/group", 0o644, []byte(group)) },
		func() error { return dir("etc/axle/", 0o755, 0) },
		func() error { return dir("etc/ssl/", 0o755, 0) },
		func() error { return dir("etc/ssl/certs/", 0o755, 0) },
		func() error { return file("etc/ssl/certs/ca-certificates.crt", 0o644, certs) },
		func() error { return dir("tmp/", 0o1777, 0) },
		func() error { return dir("var/", 0o755, 0) },
		func() error { return dir("var/lib/", 0o755, 0) },
		func() error { return dir("var/lib/axle/", 0o750, imageUID) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
