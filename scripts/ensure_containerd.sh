#!/bin/sh
# Run by tests/cri_test.ts and tests/ctr_test.ts (once per file) before they talk to
# containerd. Makes sure a containerd of the project's own answers with its CRI plugin
# loaded, beside any other containerd (Docker's runs with the CRI plugin disabled):
# version-2 config, root, state, socket and log under $CSD_CACHE_DIR/containerd (or
# containerd2), runc as the runtime, no CNI (the tests' Pods use the node's network
# namespace), and a pause image built here (no registry is needed). Prints the socket's
# path and the matching ctr's on stdout (two lines); stops nothing but a containerd it started itself with another config.
#
# Usage: ensure_containerd.sh [1|2]
#   1 (default): the host's containerd (Debian 12: 1.6, with docker.io); on Debian as
#     root the containerd package is installed when missing.
#   2: Debian sid's containerd 2.x: its binaries (containerd, the runc shim, ctr) are
#     taken from the package, fetched with `apt-get download` in a debian:sid-slim
#     container, into $CSD_CACHE_DIR/containerd2/bin; it runs the host's runc (sid's
#     runc needs a newer glibc than Debian 12's).
# Exit codes: 0 up; 2 that containerd cannot be had here (the tests skip); 1 other error.
# Environment: CSD_CACHE_DIR; CONTAINERD (1 only: the binary, default containerd in PATH).
set -eu
. "$(dirname "$0")/lib.sh"

MAJOR=${1:-1}
# The sandbox ("pause") image: it only has to sleep until it is killed.
PAUSE_IMAGE=docker.io/library/csd-pause:1
NS=k8s.io
[ "$(id -u)" = 0 ] || { warn "the CRI tests need root to start containerd"; exit 2; }
# Test files run in parallel and each runs this script: one at a time (containerd does
# not inherit the lock's fd 9).
mkdir -p "$CSD_CACHE_DIR"
exec 9>"$CSD_CACHE_DIR/containerd.lock"
flock 9

case $MAJOR in
1)
  DIR=$CSD_CACHE_DIR/containerd
  if ! command -v "${CONTAINERD:-containerd}" >/dev/null 2>&1; then
    if ! is_debian_root; then
      warn "containerd is not installed and this is not Debian as root; install containerd to run the CRI tests"
      exit 2
    fi
    (apt_install containerd runc) || { warn "could not install containerd"; exit 2; }
  fi
  CONTAINERD=$(command -v "${CONTAINERD:-containerd}")
  CTR_BIN=ctr
  ;;
2)
  DIR=$CSD_CACHE_DIR/containerd2
  CONTAINERD=$DIR/bin/containerd
  CTR_BIN=$DIR/bin/ctr
  if [ ! -x "$CONTAINERD" ]; then
    docker_select || { warn "no Docker client to fetch Debian sid's containerd"; exit 2; }
    info "fetching Debian sid's containerd package (apt-get download in debian:sid-slim)"
    rm -rf "$DIR/deb" && mkdir -p "$DIR/deb" "$DIR/bin"
    if ! $DOCKER run --rm --name "csd-containerd2-fetch-$$" -v "$DIR/deb:/out" debian:sid-slim sh -c \
      'apt-get -o Acquire::Check-Valid-Until=false update -qq && cd /out && apt-get download -qq containerd' \
      >"$DIR/fetch.log" 2>&1; then
      warn "could not download Debian sid's containerd (see $DIR/fetch.log)"
      exit 2
    fi
    dpkg-deb -x "$DIR"/deb/containerd_*.deb "$DIR/deb/x"
    cp "$DIR/deb/x/usr/bin/containerd" "$DIR/deb/x/usr/bin/containerd-shim-runc-v2" \
      "$DIR/deb/x/usr/bin/ctr" "$DIR/bin/"
    rm -rf "$DIR/deb"
  fi
  "$CONTAINERD" --version >/dev/null 2>&1 || {
    warn "Debian sid's containerd does not run on this host: $("$CONTAINERD" --version 2>&1 | head -1)"
    exit 2
  }
  command -v runc >/dev/null 2>&1 || apt_install runc
  ;;
*) fatal "usage: ensure_containerd.sh [1|2]" ;;
esac
SOCK=$DIR/containerd.sock
CTR="$CTR_BIN --address $SOCK --namespace $NS"

mkdir -p "$DIR/root" "$DIR/state" "$DIR/pods"
cat >"$DIR/config.toml.tmp" <<EOF
# Written by containering-systemd's scripts/ensure_containerd.sh.
version = 2
root = "$DIR/root"
state = "$DIR/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$DIR/containerd.sock.ttrpc"
[debug]
  address = "$DIR/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # A 100 KB line must arrive as partial (P) records: the kubelet's default.
  max_container_log_line_size = 16384
  # The sandbox gets oom_score_adj -998, and lowering it needs CAP_SYS_RESOURCE, which
  # some hosts (this VM) lack: keep it at containerd's own (runc fails at create otherwise).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$DIR/cni/bin"
    conf_dir = "$DIR/cni/conf"
EOF
# A containerd this script started with another config is stopped and started again.
if ! cmp -s "$DIR/config.toml.tmp" "$DIR/config.toml" 2>/dev/null && [ -f "$DIR/containerd.pid" ]; then
  pid=$(cat "$DIR/containerd.pid")
  if [ "$(cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ')" = "$CONTAINERD --config $DIR/config.toml " ]; then
    info "restarting containerd (pid $pid): its config changed"
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1)); [ "$i" -le 60 ] || fatal "containerd (pid $pid) did not exit within 30 s"
      sleep 0.5
    done
  fi
fi
mv "$DIR/config.toml.tmp" "$DIR/config.toml"

cri_up() { $CTR plugins ls 2>/dev/null | grep -q 'io.containerd.grpc.v1 *cri .*ok'; }

if ! $CTR version >/dev/null 2>&1; then
  info "starting $CONTAINERD (log: $DIR/containerd.log)"
  # Its own directory first in PATH: containerd finds the runc shim there.
  PATH="$(dirname "$CONTAINERD"):$PATH" nohup "$CONTAINERD" --config "$DIR/config.toml" >>"$DIR/containerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$DIR/containerd.pid"
  i=0
  until $CTR version >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le 60 ] || fatal "containerd did not answer on $SOCK within 30 s; see $DIR/containerd.log"
    sleep 0.5
  done
fi
cri_up || fatal "containerd on $SOCK runs without its CRI plugin; see $DIR/containerd.log (ctr --address $SOCK plugins ls)"

if ! $CTR images ls -q | grep -qx "$PAUSE_IMAGE"; then
  docker_select || fatal "no Docker client to build the pause image; run scripts/ensure_docker.sh"
  info "building the pause image $PAUSE_IMAGE"
  printf 'FROM debian:12-slim\nSTOPSIGNAL SIGKILL\nENTRYPOINT ["sleep", "infinity"]\n' |
    $DOCKER build -q -t csd-pause:1 - >/dev/null 2>&1 || fatal "could not build the pause image from debian:12-slim; run scripts/base_images.sh"
  $DOCKER save csd-pause:1 | $CTR images import - >/dev/null
fi
printf '%s\n%s\n' "$SOCK" "$(command -v "$CTR_BIN")"
