// Package release turns the static axle binaries of `make cross` into what
// operators install: Debian and RPM packages (with nfpm) and a multi-arch OCI
// image layout (with go-containerregistry), without a Docker daemon.
//
//	dist/axle-linux-amd64  ─┐
//	dist/axle-linux-arm64  ─┼─ Packages ─> dist/axle_<v>_<arch>.deb, axle-<v>.<arch>.rpm
//	dist/axle-linux-armv7  ─┤
//	dist/axle-linux-armv5  ─┘
//	                        └─ Image ────> dist/oci/ (index.json: linux/amd64, linux/arm64, linux/arm/v7)
//
// The packages hold the binary, the systemd unit, the example configuration
// as a conffile and the state directory; their maintainer scripts create the
// axle system user and enable the service without starting it, because a
// gateway must be configured (device id, broker) before it runs.
package release
