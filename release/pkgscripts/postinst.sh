#!/bin/sh
# axle postinst: system user, state directory, unit enabled but not started
# (the operator configures /etc/axle/axle.yaml first, then starts it).
set -e
if ! getent passwd axle >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/axle --no-create-home --shell /usr/sbin/nologin axle
fi
getent group axle >/dev/null 2>&1 || groupadd --system axle
for g in i2c spi gpio dialout; do
  getent group "$g" >/dev/null 2>&1 && usermod -a -G "$g" axle 2>/dev/null || true
done
install -d -m 0750 -o axle -g axle /var/lib/axle
chown root:axle /etc/axle /etc/axle/axle.yaml 2>/dev/null || true
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl enable axle.service >/dev/null 2>&1 || true
  if systemctl is-active --quiet axle.service; then
    # An upgrade: the running agent picks up the new binary.
    systemctl try-restart axle.service >/dev/null 2>&1 || true
  else
    echo "axle: edit /etc/axle/axle.yaml (device, mqtt.broker), then: systemctl start axle"
  fi
fi
exit 0
