#!/bin/sh
# Run at image build time, as the one RUN after /usr/lib/containering-systemd/ is in
# place, by the project's Dockerfile and by the own-image recipe (docs/recipe.md) alike,
# so that the two cannot drift. Execs nothing. Needs systemd installed. It:
#  - installs every file of the tree /usr/lib/containering-systemd/rootfs/ (the project's
#    rootfs/, units/ under etc/systemd/system/, the interceptor) at the same path under /,
#    executables with mode 0755, other files and shared libraries (*.so, loaded, not
#    run) 0644, whatever modes the build context had;
#  - enables journalagent.service and masks units that make no sense in a container
#    (mask_units.sh);
#  - on a split /usr (Debian 11 and older: /lib is a directory, not a link to usr/lib),
#    links the generator into /lib/systemd/system-generators, where such a systemd
#    looks for generators (not in /usr/lib/systemd/system-generators; measured on 247);
#  - makes /var/lib/systemd/linger, logind's StateDirectory=, so that logind starts on
#    a read-only root file system (docker run --read-only: docs/hardening.md);
#  - empties /etc/machine-id and removes /var/lib/dbus/machine-id: systemd then makes a
#    new machine ID at each boot, so containers of one image differ in _MACHINE_ID.
set -eu
prog=containering-systemd-setup
lib=/usr/lib/containering-systemd
fatal() {
  echo "$prog: error: $*" >&2
  exit 1
}

[ -d "$lib/rootfs" ] || fatal "$lib/rootfs is missing: copy all of $lib from the containering-systemd image first"
command -v systemctl >/dev/null ||
  fatal "systemctl not found: install systemd (and systemd-sysv, dbus, libsystemd0) first"

cd "$lib/rootfs"
find . -type d | while IFS= read -r dir; do mkdir -p "/${dir#./}"; done
find . ! -type d | while IFS= read -r file; do
  target="/${file#./}"
  if [ -L "$file" ]; then
    cp -P "$file" "$target"
  elif [ -x "$file" ] && [ "${file%.so}" = "$file" ]; then
    install -m 0755 "$file" "$target"
  else
    install -m 0644 "$file" "$target"
  fi
done

generators=/lib/systemd/system-generators
if [ ! -L /lib ] && [ -d "$generators" ] && [ ! -e "$generators/containering-systemd-generator" ]; then
  ln -s /usr/lib/systemd/system-generators/containering-systemd-generator "$generators/"
fi

systemctl enable journalagent.service
sh "$lib/mask_units.sh"
mkdir -p /var/lib/systemd/linger
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
