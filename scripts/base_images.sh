#!/bin/sh
# Run by `deno task images` (and so by the demo, the tests and .ci/run) before a build.
# Makes sure debian:12-slim, debian:13-slim and debian:sid-slim exist in the Docker
# engine: kept when present, pulled when a registry answers, otherwise built here from
# Debian's archive with mmdebstrap (minbase, slim dpkg excludes, apt lists removed) and
# tagged with the real names so the Dockerfile keeps its normal FROM lines.
# Usage: base_images.sh [--rebuild] [TAG...]   (TAG: 12, 13 or sid; default all three)
set -eu
. "$(dirname "$0")/lib.sh"
docker_select || fatal "no Docker client; run scripts/ensure_docker.sh first"

MIRROR=${CSD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
rebuild=0
if [ "${1:-}" = "--rebuild" ]; then rebuild=1; shift; fi
[ $# -gt 0 ] || set -- 12 13 sid

suite_of() {
  case "$1" in
    12) echo bookworm ;;
    13) echo trixie ;;
    sid) echo sid ;;
    *) fatal "unknown base image tag '$1'; use 12, 13 or sid" ;;
  esac
}

build_one() {
  tag=$1 suite=$(suite_of "$1") image=debian:$1-slim
  if [ "$rebuild" = 0 ] && $DOCKER image inspect "$image" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$rebuild" = 0 ] && timeout 20 $DOCKER pull -q "$image" >/dev/null 2>&1; then
    info "pulled $image"
    return 0
  fi
  apt_install mmdebstrap debian-archive-keyring
  info "building $image from $MIRROR ($suite, minbase)"
  # The dpkg path excludes are the ones Debian's own -slim images use.
  mmdebstrap --quiet --variant=minbase \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" - "$MIRROR" \
    | $DOCKER import -c 'CMD ["bash"]' -m "mmdebstrap --variant=minbase $suite" - "$image" >/dev/null \
    || fatal "could not build $image; is $MIRROR reachable? (set CSD_DEBIAN_MIRROR to another mirror)"
  info "built $image"
}

for t in "$@"; do build_one "$t"; done
