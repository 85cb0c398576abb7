#!/bin/sh
# Run by `deno task demo`, `deno task test` and .ci/run before anything talks to Docker.
# Makes sure a Docker engine answers; on Debian as root it installs docker.io and starts
# dockerd in the background (data and log under $CSD_CACHE_DIR/docker). Execs nothing.
set -eu
. "$(dirname "$0")/lib.sh"

RUNTIME_NAME=csd-privileged
DOCKERD_DIR=$CSD_CACHE_DIR/docker

# Names of capabilities by number (capabilities(7)), for the bounding-set check below.
CAP_NAMES="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
CHECKPOINT_RESTORE"

# missing_caps: the capabilities this kernel knows that our bounding set lacks.
# `docker run --privileged` asks for all of them and fails when one is missing.
missing_caps() {
  bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  last=$(cat /proc/sys/kernel/cap_last_cap)
  i=0
  for name in $CAP_NAMES; do
    [ "$i" -le "$last" ] || break
    if [ $(( (0x$bnd >> i) & 1 )) -eq 0 ]; then printf 'CAP_%s ' "$name"; fi
    i=$((i + 1))
  done
}

# write_runtime_wrapper FILE CAPS: an OCI runtime that deletes CAPS from the bundle's
# config.json, then execs runc with the same arguments. Only the missing capabilities
# are dropped, so on a host that has them all it is never registered at all.
write_runtime_wrapper() {
  jq_list=$(printf '"%s",' $2); jq_list="[${jq_list%,}]"
  cat >"$1" <<WRAPPER
#!/bin/sh
# OCI runtime wrapper written by containering-systemd's scripts/ensure_docker.sh.
# This host's capability bounding set lacks: $2
# Drops exactly those from the container's config.json, then execs runc.
set -eu
# runc create --bundle DIR reads DIR/config.json; runc exec --process FILE reads
# FILE, a bare OCI process object. Both list the capabilities to apply. Only those two
# are rewritten: other calls (kill, state, delete) run beside them, and a rewrite of
# config.json there made a docker stop during a health check's exec fail ("mv: cannot
# stat config.json.tmp"), and Docker then killed the container after 2 s.
bundle= process= prev=
for a in "\$@"; do
  case "\$prev" in --bundle|-b) bundle=\$a ;; --process|-p) process=\$a ;; esac
  case "\$a" in --bundle=*) bundle=\${a#--bundle=} ;; --process=*) process=\${a#--process=} ;; esac
  prev=\$a
done
drop() { # FILE JQ_PATH
  [ -f "\$1" ] || return 0
  jq --argjson drop '$jq_list' "if \$2 then \$2 |= with_entries(.value |= ((. // []) - \\\$drop)) else . end" \
    "\$1" >"\$1.\$\$.tmp" && mv "\$1.\$\$.tmp" "\$1"
}
[ -z "\$bundle" ] || drop "\$bundle/config.json" .process.capabilities
[ -z "\$process" ] || drop "\$process" .capabilities
exec runc "\$@"
WRAPPER
  chmod 0755 "$1"
}

caps=$(missing_caps)
if [ -n "$caps" ] && [ "$(id -u)" = 0 ]; then
  # (Re)written on every run, so an engine started earlier gets the current wrapper.
  mkdir -p "$DOCKERD_DIR/bin"
  write_runtime_wrapper "$DOCKERD_DIR/bin/runc-dropcaps.tmp" "$caps"
  mv "$DOCKERD_DIR/bin/runc-dropcaps.tmp" "$DOCKERD_DIR/bin/runc-dropcaps"
fi

if docker_select && $DOCKER info >/dev/null 2>&1; then
  exit 0
fi
# A user's remote or rootless engine: never start a local one in its place.
if [ -n "${DOCKER_HOST:-}" ]; then
  fatal "DOCKER_HOST=$DOCKER_HOST does not answer (${DOCKER:-docker} info failed); start that engine, or unset DOCKER_HOST to use a local one"
fi

if ! command -v dockerd >/dev/null 2>&1; then
  is_debian_root || fatal "no Docker engine answers and this is not Debian as root; install Docker (https://docs.docker.com/engine/install/) and start it, or set DOCKER_HOST"
  apt_install docker.io jq
  # Debian 13 and later package the buildx plugin apart (docker.io 26 refuses BuildKit
  # builds without it); where it exists, install it so that BuildKit is used.
  if apt-cache show docker-buildx >/dev/null 2>&1; then
    (apt_install docker-buildx) || warn "could not install docker-buildx: images are built with the classic builder"
  fi
fi
[ "$(id -u)" = 0 ] || fatal "no Docker engine answers; start dockerd (as root) or set DOCKER_HOST"
command -v jq >/dev/null 2>&1 || apt_install jq
docker_select || fatal "no Docker client after installing docker.io; set DOCKER"

mkdir -p "$DOCKERD_DIR/data"
set -- --data-root "$DOCKERD_DIR/data"
if [ -n "$caps" ]; then
  set -- "$@" --add-runtime "$RUNTIME_NAME=$DOCKERD_DIR/bin/runc-dropcaps"
  info "this kernel's bounding set lacks ${caps% }; registering OCI runtime '$RUNTIME_NAME' for --privileged"
fi
info "starting dockerd (log: $DOCKERD_DIR/dockerd.log)"
# A stale pid file from a killed dockerd stops the next one from starting.
rm -f /var/run/docker.pid
nohup dockerd "$@" >>"$DOCKERD_DIR/dockerd.log" 2>&1 </dev/null &
i=0
until $DOCKER info >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -le 120 ] || fatal "dockerd did not answer within 60 s; see $DOCKERD_DIR/dockerd.log"
  sleep 0.5
done
info "dockerd is up"
