#!/bin/sh
# The README's entry point: `sh scripts/dev.sh demo` and `sh scripts/dev.sh test` (any
# other argument is passed to `deno task`). Installs what the project needs (Node.js and
# npm on Debian, then the pinned Deno from package.json), then execs `deno task`; for
# `test` it runs the task itself and ends with one line `N passed, N failed`.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib.sh
[ $# -gt 0 ] || fatal "usage: sh scripts/dev.sh demo|test|bench|images|TASK"

# 1. npm, to install the pinned Deno (package.json) and the npm packages we use.
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
# objdump, for the interceptor's symbol-version test (tests/interceptor_test.ts).
if [ "$1" = test ] && ! command -v objdump >/dev/null 2>&1; then
  apt_install binutils
fi
# Podman, so that the Podman flag set is tested too (tests/podman_test.ts skips without it).
if [ "$1" = test ] && ! command -v podman >/dev/null 2>&1 && is_debian_root; then
  (apt_install podman) || warn "could not install podman: the Podman tests will be skipped"
fi
# Each systemd container takes 6 to 8 inotify instances of root's (systemd, journald,
# the .path units); the kernel's default of 128 runs out at about 16 containers at once,
# and boots then come up degraded (failed .path and .mount units). The tests run several.
if [ "$1" = test ] && [ "$(id -u)" = 0 ] &&
  [ "$(cat /proc/sys/fs/inotify/max_user_instances 2>/dev/null || echo 1024)" -lt 1024 ]; then
  info "raising fs.inotify.max_user_instances to 1024 (systemd containers use 6 to 8 each)"
  sysctl -q -w fs.inotify.max_user_instances=1024 || warn "could not raise fs.inotify.max_user_instances"
fi
# 2. node_modules, when missing or older than the lock file.
if [ ! -x node_modules/.bin/deno ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  info "installing Deno and npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || fatal "npm ci failed; is the npm registry reachable?"
fi
deno=./node_modules/.bin/deno
"$deno" --version >/dev/null 2>&1 || fatal "the Deno binary from npm does not run here: $deno"
export NO_COLOR=1

if [ "$1" != test ]; then
  exec "$deno" task "$@"
fi

# `test`: every step's output goes to the terminal and to a log; the summary line sums
# the Deno test runs' counts. A step that fails before its tests ran counts as a failure.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
{ rc=0; "$deno" task test 2>&1 || rc=$?; echo "$rc" >"$log.rc"; } | tee "$log"
status=$(cat "$log.rc"); rm -f "$log.rc"
passed=$(sed -n 's/^\(ok\|FAILED\) | \([0-9]*\) passed.*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(sed -n 's/^\(ok\|FAILED\) | [0-9]* passed[^|]*| \([0-9]*\) failed.*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
# The errors again, shortened, just above the summary: a CI log is often read from its
# end, and the full texts can be thousands of lines up.
if [ "$failed" != 0 ]; then
  echo "Errors in brief (the first lines of each; the whole text is above):"
  awk '/^ ERRORS $/ { on = 1; next } /^ FAILURES $/ { on = 0 }
    on && / => / { n = 0 } on && !/^ +at / && n < 14 { print; n++ }' "$log" | head -n 200
fi
echo "$passed passed, $failed failed"
exit "$status"
