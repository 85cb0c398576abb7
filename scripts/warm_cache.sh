#!/bin/sh
# Run at image build time, after the bundles are in /usr/lib/containering-systemd/
# (Dockerfile). Starts the fast bundle once with the DENO_DIR it runs with in every
# container (/usr/lib/containering-systemd/cache, set by /usr/bin/containering-systemd),
# so that the image carries Deno's caches for it: V8's code cache and the module
# analysis. A container then starts the bootstrap and the agent without parsing and
# compiling the bundle anew (about 40 ms of CPU each; docs/bench.md, "Boot"). Deno reads
# the caches from a read-only root as well (--read-only, the agent's
# ProtectSystem=strict). A bundle that changes gets a new cache at its first start
# (written where the file system allows, else kept in memory).
set -eu
lib=/usr/lib/containering-systemd
export DENO_DIR=$lib/cache DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
rm -rf "$DENO_DIR"
"$lib/deno" run --no-config --cached-only -A "$lib/containering-systemd-fast.js" warm-cache
# Once more: the second start finds every entry and only runs SQLite's `PRAGMA optimize`
# (the sqlite_stat1 tables), which would otherwise be the one write each container's
# bootstrap makes to the image's cache, and it execs systemd in the middle of it.
"$lib/deno" run --no-config --cached-only -A "$lib/containering-systemd-fast.js" warm-cache
# The code cache must hold the bundle itself (its file name appears in the database).
grep -q containering-systemd-fast.js "$DENO_DIR"/v8_code_cache_v2* || {
  echo "containering-systemd-warm-cache: error: Deno wrote no code cache for the bundle to $DENO_DIR" >&2
  exit 1
}
