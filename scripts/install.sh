#!/bin/sh
# Installs axle: binary, system user, /etc/axle, /var/lib/axle and the
# systemd unit. For packaging, DESTDIR stages everything under another root
# (no user is created and systemd is not touched then) and PREFIX moves the
# binary (default /usr/local).
#
#   sudo scripts/install.sh [path/to/axle]
#   DESTDIR=/tmp/pkgroot PREFIX=/usr scripts/install.sh dist/axle-linux-arm64
set -eu

BIN=${1:-bin/axle}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
STATEDIR=${STATEDIR:-/var/lib/axle}
UNITDIR=${UNITDIR:-/lib/systemd/system}
HERE=$(cd "$(dirname "$0")" && pwd)

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

[ -f "$BIN" ] || die "binary $BIN not found (run 'make build' or pass the path)"
[ -f "$HERE/axle.service" ] || die "$HERE/axle.service is missing"
[ -f "$HERE/axle.example.yaml" ] || die "$HERE/axle.example.yaml is missing"

if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
  die "run as root to install into the system (or set DESTDIR to stage a package)"
fi

bindir=$PREFIX/bin
install -d -m 0755 "$DESTDIR$bindir" "$DESTDIR$UNITDIR"
install -d -m 0750 "$DESTDIR$SYSCONFDIR/axle" "$DESTDIR$STATEDIR"
install -m 0755 "$BIN" "$DESTDIR$bindir/axle"
say "binary: $DESTDIR$bindir/axle"

sed -e "s#@BINDIR@#$bindir#g" -e "s#@SYSCONFDIR@#$SYSCONFDIR#g" "$HERE/axle.service" > "$DESTDIR$UNITDIR/axle.service.tmp"
chmod 0644 "$DESTDIR$UNITDIR/axle.service.tmp"
mv "$DESTDIR$UNITDIR/axle.service.tmp" "$DESTDIR$UNITDIR/axle.service"
say "unit: $DESTDIR$UNITDIR/axle.service"

# Never overwrite an operator's configuration.
if [ -e "$DESTDIR$SYSCONFDIR/axle/axle.yaml" ]; then
  install -m 0640 "$HERE/axle.example.yaml" "$DESTDIR$SYSCONFDIR/axle/axle.yaml.example"
  say "config: kept existing $DESTDIR$SYSCONFDIR/axle/axle.yaml (new example beside it)"
else
  install -m 0640 "$HERE/axle.example.yaml" "$DESTDIR$SYSCONFDIR/axle/axle.yaml"
  say "config: $DESTDIR$SYSCONFDIR/axle/axle.yaml (edit device and mqtt.broker)"
fi

if [ -n "$DESTDIR" ]; then
  say "staged under $DESTDIR; the package's postinst creates user axle and runs systemctl daemon-reload"
  exit 0
fi

if ! getent passwd axle >/dev/null 2>&1; then
  useradd --system --home-dir "$STATEDIR" --no-create-home --shell /usr/sbin/nologin axle
  say "created system user axle"
fi
for g in i2c spi gpio dialout; do
  getent group "$g" >/dev/null 2>&1 && usermod -a -G "$g" axle || true
done
chown -R axle:axle "$STATEDIR"
chown root:axle "$SYSCONFDIR/axle" "$SYSCONFDIR/axle/axle.yaml"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  say "enable and start with: systemctl enable --now axle"
fi
