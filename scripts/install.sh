#!/bin/sh
# Installs axle: binary, system user, /etc/axle, /var/lib/axle and the
# systemd unit. For packaging, DESTDIR stages everything under another root
# (no user is created and systemd is not touched then) and PREFIX moves the
# binary (default /usr/local).
#
#   sudo scripts/install.sh [path/to/axle]      install, or upgrade in place
#   sudo scripts/install.sh --uninstall [--purge]   remove (--purge: also config, state, user)
#   DESTDIR=/tmp/pkgroot PREFIX=/usr scripts/install.sh dist/axle-linux-arm64
#
# Self-update (agent.update) replaces the binary by renames in its own
# directory, which ProtectSystem=strict makes read-only under /usr. So the
# binary lives in $STATEDIR/bin (writable through the unit's
# StateDirectory=) and $PREFIX/bin/axle is a symlink to it. SELFUPDATE=0
# (the default when DESTDIR stages a package, which the package manager
# updates) installs a plain file at $PREFIX/bin/axle instead; the agent then
# refuses agent.update at staging with a read-only file system error.
set -eu

MODE=install
PURGE=
case "${1:-}" in
--uninstall)
  MODE=uninstall
  shift
  if [ "${1:-}" = --purge ]; then PURGE=1; shift; fi
  ;;
esac
BIN=${1:-bin/axle}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
STATEDIR=${STATEDIR:-/var/lib/axle}
UNITDIR=${UNITDIR:-/lib/systemd/system}
HERE=$(cd "$(dirname "$0")" && pwd)

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
if [ -n "$DESTDIR" ]; then SELFUPDATE=${SELFUPDATE:-0}; else SELFUPDATE=${SELFUPDATE:-1}; fi
have_systemd() { [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

if [ "$MODE" = uninstall ]; then
  if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
    die "run as root to uninstall (or set DESTDIR)"
  fi
  if have_systemd; then
    systemctl disable --now axle >/dev/null 2>&1 || true
  fi
  rm -f "$DESTDIR$UNITDIR/axle.service" "$DESTDIR$PREFIX/bin/axle"
  rm -rf "$DESTDIR$STATEDIR/bin"
  have_systemd && systemctl daemon-reload
  say "removed the binary and the unit"
  if [ -n "$PURGE" ]; then
    rm -rf "$DESTDIR$SYSCONFDIR/axle" "$DESTDIR$STATEDIR"
    if [ -z "$DESTDIR" ] && getent passwd axle >/dev/null 2>&1; then
      userdel axle || true
    fi
    say "purged $DESTDIR$SYSCONFDIR/axle, $DESTDIR$STATEDIR and user axle"
  else
    say "kept $DESTDIR$SYSCONFDIR/axle and $DESTDIR$STATEDIR (--purge removes them)"
  fi
  exit 0
fi

[ -f "$BIN" ] || die "binary $BIN not found (run 'make build' or pass the path)"
[ -f "$HERE/axle.service" ] || die "$HERE/axle.service is missing"
[ -f "$HERE/axle.example.yaml" ] || die "$HERE/axle.example.yaml is missing"

if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
  die "run as root to install into the system (or set DESTDIR to stage a package)"
fi

bindir=$PREFIX/bin
install -d -m 0755 "$DESTDIR$bindir" "$DESTDIR$UNITDIR"
install -d -m 0750 "$DESTDIR$SYSCONFDIR/axle" "$DESTDIR$STATEDIR"
# Copy then rename: a running agent keeps its old binary; the path always
# names a whole one.
if [ "$SELFUPDATE" = 1 ]; then
  install -d -m 0755 "$DESTDIR$STATEDIR/bin"
  install -m 0755 "$BIN" "$DESTDIR$STATEDIR/bin/.axle.install"
  mv -f "$DESTDIR$STATEDIR/bin/.axle.install" "$DESTDIR$STATEDIR/bin/axle"
  ln -sfn "$STATEDIR/bin/axle" "$DESTDIR$bindir/.axle.link"
  mv -f "$DESTDIR$bindir/.axle.link" "$DESTDIR$bindir/axle"
  say "binary: $DESTDIR$STATEDIR/bin/axle (self-updatable), $DESTDIR$bindir/axle links to it"
else
  install -m 0755 "$BIN" "$DESTDIR$bindir/.axle.install"
  mv -f "$DESTDIR$bindir/.axle.install" "$DESTDIR$bindir/axle"
  say "binary: $DESTDIR$bindir/axle"
fi

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
if have_systemd; then
  systemctl daemon-reload
  if systemctl is-active --quiet axle; then
    systemctl restart axle
    say "upgraded in place: axle restarted on the new binary (config and state kept)"
  else
    say "enable and start with: systemctl enable --now axle"
  fi
fi
