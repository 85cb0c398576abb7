# Shared helpers for the project's shell scripts. Sourced, never run.
# Every script prints `prog: level: msg` to stderr (after s6-overlay and tini).

prog=${0##*/}
fatal() { printf '%s: fatal: %s\n' "$prog" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
info() { printf '%s: %s\n' "$prog" "$*" >&2; }

# Where the project keeps the Docker engine's data and log, and other caches.
CSD_CACHE_DIR=${CSD_CACHE_DIR:-/var/cache/containering-systemd}

# docker_select: sets and exports DOCKER (the client) and DOCKER_BUILDKIT (the builder)
# as scripts/docker_client.sh picks them, the same way the TypeScript does. Call it after
# the engine is known (ensure_docker.sh), not when this file is sourced: on a fresh
# machine the client may be installed on the way. Returns 1 when there is no client.
docker_select() {
  _sel=$(sh "$(dirname "$0")/docker_client.sh" 2>/dev/null) || return 1
  DOCKER=$(printf '%s\n' "$_sel" | sed -n 's/^DOCKER=//p')
  DOCKER_BUILDKIT=$(printf '%s\n' "$_sel" | sed -n 's/^DOCKER_BUILDKIT=//p')
  export DOCKER DOCKER_BUILDKIT
}

is_debian_root() {
  [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1
}

# apt_install PKG...: install Debian packages that are missing (root on Debian only).
apt_install() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  is_debian_root || fatal "missing packages:$missing; install them (apt-get install$missing) and run again"
  info "installing Debian packages:$missing"
  if [ ! -f "$CSD_CACHE_DIR/.apt-updated" ] || [ -n "$(find "$CSD_CACHE_DIR/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
    apt-get update -qq >&2 || fatal "apt-get update failed; check the network and /etc/apt/sources.list"
    mkdir -p "$CSD_CACHE_DIR" && touch "$CSD_CACHE_DIR/.apt-updated"
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 \
    || fatal "apt-get install$missing failed"
}
