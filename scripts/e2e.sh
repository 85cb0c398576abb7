#!/bin/sh
# Run by `deno task e2e` (and so by `deno task test`, the README's test command and CI):
# the end-to-end tests, in two phases. Execs nothing.
#  1. Most test files at once (`deno test --parallel`, DENO_JOBS at a time, default 3):
#     they wait on containers far more than they compute.
#  2. Then, one file after the other with nothing else running, the files whose
#     assertions depend on the machine's speed: stop times (under 2 s), boot and stop
#     races, and floods into a memory-limited journal (journald removes what the agent
#     has not read yet when the two fall behind), and Compose (healthy within 3 s).
# With arguments, runs just those: `deno task e2e tests/boot_test.ts`.
set -eu
cd "$(dirname "$0")/.."
deno=./node_modules/.bin/deno
if [ $# -gt 0 ]; then exec "$deno" test -A "$@"; fi

timed=""
for f in short_lived memory boot agent_stop bootstrap_lifecycle compose podman cri ctr; do
  [ -f "tests/${f}_test.ts" ] && timed="$timed tests/${f}_test.ts"
done
rc=0
DENO_JOBS=${DENO_JOBS:-3} "$deno" test -A --parallel --ignore="$(echo $timed | tr ' ' ',')" tests/ || rc=$?
# shellcheck disable=SC2086 # one path per word
"$deno" test -A $timed || rc=$?
exit "$rc"
