#!/bin/sh
# Run by hand (docs/hardening.md, "User namespaces") before
# `CSD_TEST_USERNS_HOST=unix://$CSD_CACHE_DIR/docker-userns/docker.sock deno test -A
# tests/hardening_test.ts`. Starts, if none answers yet, a second dockerd with
# --userns-remap=default on its own socket, data root, exec root and pid file under
# $CSD_CACHE_DIR/docker-userns, on a bridge of its own (csd-userns0) and with no
# iptables rules, so that the shared engine is not touched; then loads the images named
# as arguments into it. Never `--bridge none`: dockerd then deletes the interface
# docker0 at start, the shared engine's bridge, and every `docker run` of the shared
# engine fails ("could not find bridge docker0") until docker0 is made again.
# Execs nothing. dockerd adds the user "dockremap" and its /etc/subuid and /etc/subgid
# ranges the first time.
set -eu
. "$(dirname "$0")/lib.sh"
prog=ensure_docker_userns

dir=$CSD_CACHE_DIR/docker-userns
sock=unix://$dir/docker.sock
[ "$(id -u)" = 0 ] || fatal "needs root: it starts a dockerd"
docker_select || fatal "no Docker client; run scripts/ensure_docker.sh first"
if ! $DOCKER -H "$sock" info >/dev/null 2>&1; then
  mkdir -p "$dir"
  if ! ip link show csd-userns0 >/dev/null 2>&1; then
    ip link add name csd-userns0 type bridge
    ip addr add 10.213.213.1/24 dev csd-userns0
    ip link set csd-userns0 up
  fi
  info "starting a dockerd with --userns-remap=default on $sock (log: $dir/dockerd.log)"
  nohup dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
    -H "$sock" --userns-remap default --bridge csd-userns0 --iptables=false --ip-masq=false \
    --ip-forward=false \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
  i=0
  until $DOCKER -H "$sock" info >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le 120 ] || fatal "dockerd did not answer within 60 s; see $dir/dockerd.log"
    sleep 0.5
  done
fi
for image in "$@"; do
  info "loading $image"
  $DOCKER save "$image" | $DOCKER -H "$sock" load -q >/dev/null
done
info "up: DOCKER_HOST=$sock"
