#!/bin/sh
# Run by `deno task images` (and so by the demo, the tests and .ci/run) before a build.
# Makes sure debian:12-slim, debian:13-slim and debian:sid-slim exist in the Docker
# engine: kept when present, pulled when a registry answers, otherwise built here from
# Debian's archive with mmdebstrap (minbase, slim dpkg excludes, apt lists removed) and
# tagged with the real names so the Dockerfile keeps its normal FROM lines. On request
# also debian:11-slim (bullseye) and the arm64 bases arm64v8/debian:12-slim, :13-slim,
# :sid-slim (tags 12-arm64, 13-arm64, sid-arm64; Docker Hub's names), built under
# qemu-user emulation, which scripts/emulation.sh sets up first.
# Usage: base_images.sh [--rebuild] [TAG...]   (TAG: 12, 13, sid, 11 or N-arm64; default 12 13 sid)
set -eu
. "$(dirname "$0")/lib.sh"
docker_select || fatal "no Docker client; run scripts/ensure_docker.sh first"

MIRROR=${CSD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
rebuild=0
if [ "${1:-}" = "--rebuild" ]; then rebuild=1; shift; fi
[ $# -gt 0 ] || set -- 12 13 sid

suite_of() {
  case "${1%-arm64}" in
    11) echo bullseye ;;
    12) echo bookworm ;;
    13) echo trixie ;;
    sid) echo sid ;;
    *) fatal "unknown base image tag '$1'; use 12, 13, sid, 11, 12-arm64, 13-arm64 or sid-arm64" ;;
  esac
}

build_one() {
  tag=$1 suite=$(suite_of "$1") image=debian:$1-slim arch=""
  case $tag in *-arm64) image=arm64v8/debian:${tag%-arm64}-slim arch=arm64 ;; esac
  if [ "$rebuild" = 0 ] && $DOCKER image inspect "$image" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$rebuild" = 0 ] && timeout 20 $DOCKER pull -q "$image" >/dev/null 2>&1; then
    info "pulled $image"
    return 0
  fi
  apt_install mmdebstrap debian-archive-keyring
  [ -z "$arch" ] || sh "$(dirname "$0")/emulation.sh" "$arch"
  info "building $image from $MIRROR ($suite, ${arch:-native}, minbase)"
  # The dpkg path excludes are the ones Debian's own -slim images use.
  mmdebstrap --quiet --variant=minbase ${arch:+--arch="$arch"} \
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
