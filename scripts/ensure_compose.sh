#!/bin/sh
# Run by tests/compose_test.ts (once per file) before it runs Compose. Makes sure the
# Compose versions the tests use are here and prints one line `MAJOR PATH` for each
# (e.g. `1 /usr/bin/docker-compose`, `2 /var/cache/containering-systemd/compose2/docker-compose`).
# Execs nothing.
#  1: Debian's docker-compose package (1.29 on Debian 12; on Debian 13 and later the
#     package is Compose v2 and counts as 2); on Debian as root installed when missing.
#  2: Compose v2: the docker-compose in PATH when it is v2, else the one of Debian 13's
#     docker-compose package (a CLI plugin that also runs on its own), fetched once with
#     `apt-get download` in a debian:13-slim container into $CSD_CACHE_DIR/compose2.
# Exit codes: 0 at least one Compose is here; 2 none can be had (the tests skip).
# Environment: CSD_CACHE_DIR.
set -eu
. "$(dirname "$0")/lib.sh"

DIR=$CSD_CACHE_DIR/compose2
mkdir -p "$CSD_CACHE_DIR"
# Test files may run in parallel: one at a time.
exec 9>"$CSD_CACHE_DIR/compose.lock"
flock 9

# major BINARY: 1 for docker-compose 1.x ("docker-compose version 1.29.2, build ..."),
# 2 for Compose v2 ("Docker Compose version 2.26.1-4", "... v2.29.0"), else nothing.
major() {
  "$1" version 2>/dev/null | sed -n \
    -e 's/^docker-compose version \([0-9]*\)\..*/\1/p' \
    -e 's/^Docker Compose version v\{0,1\}\([0-9]*\)\..*/\1/p' | head -n 1
}

if ! command -v docker-compose >/dev/null 2>&1 && is_debian_root; then
  (apt_install docker-compose) || warn "could not install Debian's docker-compose"
fi
have1= have2=
if command -v docker-compose >/dev/null 2>&1; then
  path=$(command -v docker-compose)
  case $(major "$path") in
  1) have1=$path ;;
  2) have2=$path ;;
  esac
fi
if [ -z "$have2" ] && [ ! -x "$DIR/docker-compose" ] && docker_select; then
  info "fetching Debian 13's docker-compose package (apt-get download in debian:13-slim)"
  rm -rf "$DIR/deb" && mkdir -p "$DIR/deb"
  if $DOCKER run --rm --name "csd-compose2-fetch-$$" -v "$DIR/deb:/out" debian:13-slim sh -c \
    'apt-get update -qq && cd /out && apt-get download -qq docker-compose' \
    >"$DIR/fetch.log" 2>&1; then
    dpkg-deb -x "$DIR"/deb/docker-compose_*.deb "$DIR/deb/x"
    cp "$DIR/deb/x/usr/libexec/docker/cli-plugins/docker-compose" "$DIR/docker-compose"
  else
    warn "could not download Debian 13's docker-compose (see $DIR/fetch.log)"
  fi
  rm -rf "$DIR/deb"
fi
if [ -z "$have2" ] && [ -x "$DIR/docker-compose" ]; then
  if [ "$(major "$DIR/docker-compose")" = 2 ]; then
    have2=$DIR/docker-compose
  else
    warn "Debian 13's docker-compose does not run here: $("$DIR/docker-compose" version 2>&1 | head -n 1)"
  fi
fi
[ -n "$have1$have2" ] || { warn "no Compose here: install docker-compose"; exit 2; }
[ -z "$have1" ] || echo "1 $have1"
[ -z "$have2" ] || echo "2 $have2"
