#!/bin/sh
# cross/tflite.sh builds axle with the TFLite C runtime (-tags tflite) for
# this machine or, with Debian's cross compilers, for linux/arm64 and
# linux/arm (armhf). It checks everything it needs first and says what is
# missing. The binary opens libtensorflowlite_c with dlopen when a model
# asks for it, so the build needs the headers, not the library; a library
# in AXLE_TFLITE_DIR/lib is checked to be of the target architecture. See
# cross/README.md and docs/delegates.md.
#
#   AXLE_TFLITE_DIR=/opt/tflite-arm64 cross/tflite.sh linux/arm64 dist/axle-tflite-linux-arm64
#
# Target: native, linux/amd64, linux/arm64 or linux/arm (GOARM=7, armhf).
# AXLE_TFLITE_DIR: a libtensorflowlite_c build: include/tensorflow/lite/
#   (c/c_api.h and the rest) and, optionally, lib/libtensorflowlite_c.so
#   for the target.
# TAGS: build tags (default "tflite"; add edgetpu or gpu: "tflite edgetpu").
# AXLE_TFLITE_RPATH: where the binary looks for the library at run time
#   (default: AXLE_TFLITE_DIR/lib for native builds, $ORIGIN and
#   $ORIGIN/../lib for cross builds; /usr/lib is searched anyway). It is
#   a RUNPATH, so LD_LIBRARY_PATH can point the binary at another build.
set -eu

target=${1:-native}
out=${2:-bin/axle-tflite}
tags=${TAGS:-tflite}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
go=${GO:-go}

die() { echo "cross/tflite.sh: $*" >&2; exit 1; }

[ -n "${AXLE_TFLITE_DIR:-}" ] || die "AXLE_TFLITE_DIR is not set: point it at a libtensorflowlite_c build (include/tensorflow/lite/c/c_api.h, and lib/libtensorflowlite_c.so for $target); no package registry ships one, cross/README.md says where to get or how to build it"
dir=$(cd "$AXLE_TFLITE_DIR" 2>/dev/null && pwd) || die "AXLE_TFLITE_DIR=$AXLE_TFLITE_DIR is not a directory"
[ -f "$dir/include/tensorflow/lite/c/c_api.h" ] || die "$dir/include/tensorflow/lite/c/c_api.h is missing: AXLE_TFLITE_DIR needs the TFLite C headers under include/"

goos=linux goarm="" cc=${CC:-} machine=""
case "$target" in
native)
	goos=$($go env GOOS); goarch=$($go env GOARCH); cc=${cc:-gcc} ;;
linux/amd64)
	goarch=amd64; cc=${cc:-x86_64-linux-gnu-gcc}; machine="X86-64" ;;
linux/arm64)
	goarch=arm64; cc=${cc:-aarch64-linux-gnu-gcc}; machine="AArch64" ;;
linux/arm)
	goarch=arm; goarm=7; cc=${cc:-arm-linux-gnueabihf-gcc}; machine="ARM" ;;
*)
	die "target $target: want native, linux/amd64, linux/arm64 or linux/arm" ;;
esac
command -v "$cc" >/dev/null 2>&1 || die "C compiler $cc for $target not found: apt-get install gcc-aarch64-linux-gnu (arm64) or gcc-arm-linux-gnueabihf (arm)"

if [ "$target" = native ]; then
	rpath=${AXLE_TFLITE_RPATH:-$dir/lib}
else
	rpath=${AXLE_TFLITE_RPATH:-'$ORIGIN:$ORIGIN/../lib'}
fi

export CGO_ENABLED=1 GOOS="$goos" GOARCH="$goarch" GOARM="$goarm" CC="$cc"
export CGO_CFLAGS="-O2 -I$dir/include"
# -L: the gpu and edgetpu tags link their delegate libraries from there.
export CGO_LDFLAGS="-L$dir/lib -Wl,--enable-new-dtags,-rpath,$rpath"

lib="$dir/lib/libtensorflowlite_c.so"
if [ ! -f "$lib" ]; then
	echo "cross/tflite.sh: note: no $lib; the binary builds and opens libtensorflowlite_c.so at run time, wherever the gateway has it (cross/README.md)"
elif [ -n "$machine" ]; then
	got=$(readelf -h "$lib" 2>/dev/null | sed -n 's/^ *Machine: *//p')
	case "$got" in
	*"$machine"*) ;;
	*) die "$lib is built for ${got:-an unknown machine}, not $target ($machine): AXLE_TFLITE_DIR must hold a library of the target architecture" ;;
	esac
fi

mkdir -p "$(dirname "$out")"
echo "cross/tflite.sh: $out ($target, tags $tags, rpath $rpath)"
$go build -tags "$tags" -trimpath -ldflags "-s -w -X main.version=$version" -o "$out" ./agent/cmd/axle
