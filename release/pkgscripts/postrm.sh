#!/bin/sh
# axle postrm: purge removes the state (outbox, models) and the user.
set -e
if [ "$1" = purge ]; then
  rm -rf /var/lib/axle
  userdel axle >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
