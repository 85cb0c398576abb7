#!/bin/sh
# Run at image build time by scripts/setup.sh (the Dockerfile and docs/recipe.md alike).
# Masks units that make no sense in a container and only fail or slow the boot there.
# Execs nothing.
set -eu
for unit in \
  console-getty.service getty@tty1.service \
  systemd-modules-load.service modprobe@loop.service modprobe@dm_mod.service \
  systemd-remount-fs.service systemd-firstboot.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  systemctl mask "$unit" >/dev/null 2>&1 || ln -sf /dev/null "/etc/systemd/system/$unit"
done
