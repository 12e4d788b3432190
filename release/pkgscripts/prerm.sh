#!/bin/sh
# axle prerm: stop the service on removal (not on upgrade: postinst restarts it).
set -e
case "$1" in
  remove|purge|0)
    if [ -d /run/systemd/system ]; then
      systemctl stop axle.service >/dev/null 2>&1 || true
      systemctl disable axle.service >/dev/null 2>&1 || true
    fi
    ;;
esac
exit 0
