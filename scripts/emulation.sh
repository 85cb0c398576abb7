#!/bin/sh
# Run by scripts/base_images.sh (and tests/portability/arm64_test.ts) before anything of
# a foreign architecture is built or run. Makes sure this machine runs binaries of ARCH
# (default arm64) under qemu-user emulation: installs Debian's qemu-user-static,
# binfmt-support and arch-test if missing, mounts binfmt_misc if needed, and checks with
# arch-test. The handlers are registered with the F flag (binfmt_misc: the interpreter is
# opened at registration), so they work inside containers too. Execs nothing.
# Usage: emulation.sh [ARCH]
set -eu
. "$(dirname "$0")/lib.sh"
arch=${1:-arm64}

native=$(dpkg --print-architecture 2>/dev/null || echo unknown)
[ "$arch" != "$native" ] || exit 0

apt_install qemu-user-static binfmt-support arch-test
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
    fatal "cannot mount binfmt_misc at /proc/sys/fs/binfmt_misc; run as root on the host (not in a container)"
fi
if ! arch-test "$arch" >/dev/null 2>&1; then
  # The package's postinst registers the handlers; after a mount they need registering again.
  update-binfmts --enable >/dev/null 2>&1 || :
  [ -x /usr/lib/systemd/systemd-binfmt ] && /usr/lib/systemd/systemd-binfmt >/dev/null 2>&1 || :
fi
arch-test "$arch" >/dev/null 2>&1 ||
  fatal "this machine cannot run $arch binaries: arch-test $arch fails; check /proc/sys/fs/binfmt_misc/qemu-* (update-binfmts --display)"
info "$arch binaries run here (qemu-user emulation)"
