#!/bin/sh
# The one place that picks the Docker client and its image builder, for the shell
# scripts (lib.sh's docker_select) and the TypeScript (tests/images.ts runs this file).
# Run after the engine is known (scripts/ensure_docker.sh), so that the first run on a
# fresh machine, where docker.io is installed on the way, picks what the second run does.
# Prints three lines: DOCKER=..., DOCKER_BUILDKIT=0|1 and NOTE=... (empty, or the one-line
# note a build prints when it falls back to the classic builder). Execs nothing.
#
# The rules, in order:
# - the client: $DOCKER if set, else `docker` from PATH (what the user types), else
#   Debian's /usr/bin/docker;
# - the builder: $DOCKER_BUILDKIT if set; else BuildKit (1) when the client has the buildx
#   plugin or is older than 23 (BuildKit built in, Debian 12's docker.io 20.10); else the
#   classic builder (0): a CLI of 23 or later without buildx refuses BuildKit builds
#   ("BuildKit is enabled but the buildx component is missing or broken").
set -eu

docker_client() {
  if [ -n "${DOCKER:-}" ]; then
    printf '%s\n' "$DOCKER"
  elif command -v docker >/dev/null 2>&1; then
    command -v docker
  elif [ -x /usr/bin/docker ]; then
    printf '%s\n' /usr/bin/docker
  else
    return 1
  fi
}

# docker_client_major CLIENT: the major version of the client ("Docker version 28.2.2, ..."),
# or 0 when it does not say (podman's docker shim, a wrapper script).
docker_client_major() {
  "$1" --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9]*\)\..*/\1/p' | head -n 1 | grep . || echo 0
}

docker_builder() {
  if [ -n "${DOCKER_BUILDKIT:-}" ]; then
    printf '%s\n' "$DOCKER_BUILDKIT"
  elif "$1" buildx version >/dev/null 2>&1; then
    echo 1
  elif [ "$(docker_client_major "$1")" -lt 23 ]; then
    echo 1
  else
    echo 0
  fi
}

client=$(docker_client) || {
  printf '%s: fatal: no Docker client: set DOCKER, put docker on PATH, or run scripts/ensure_docker.sh\n' "${0##*/}" >&2
  exit 1
}
builder=$(docker_builder "$client")
note=
if [ "$builder" = 0 ] && [ -z "${DOCKER_BUILDKIT:-}" ]; then
  note="$client has no buildx plugin: building with the classic builder (DOCKER_BUILDKIT=0)"
fi
printf 'DOCKER=%s\nDOCKER_BUILDKIT=%s\nNOTE=%s\n' "$client" "$builder" "$note"
