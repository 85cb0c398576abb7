#!/bin/sh
# Run by `deno task e2e` (and so by `deno task test`, the README's test command and CI):
# the end-to-end tests, in two phases. Execs nothing.
#  1. Most test files at once (`deno test --parallel`, DENO_JOBS at a time, default 3):
#     they wait on containers far more than they compute. Deno starts the files in the
#     order given: the longest first (SLOW, longest first, as measured in the
#     CI-equivalent run), so that no long file starts last and runs on alone at the end.
#     Meanwhile, in the background, tests/_prepare_runtimes.ts builds the docs' example
#     images (apt-get downloads, mostly), starts the project's containerd 1 and 2 and
#     copies the images into them and into Podman: work the test files would otherwise
#     do in their own wall time, the phase-2 ones in the timed phase (they all check it
#     is done, and do it if not). Also in the background: the two-minute soak
#     (tests/soak_test.ts), which waits far more than it works; in a job slot of its own
#     it would hold one of the DENO_JOBS for two minutes. Its output is printed after
#     the phase, whole.
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
SLOW="faults interceptor journald_config bootstrap bad_input main_unit_exit bad_config
  hardening agent_errors agent_formats bootstrap_health service_logs security bootstrap_exit
  recipe host"
parallel=""
for f in $SLOW; do
  [ -f "tests/${f}_test.ts" ] && parallel="$parallel tests/${f}_test.ts"
done
background=""
[ -f tests/soak_test.ts ] && background=tests/soak_test.ts
for f in tests/*_test.ts; do
  case " $parallel $timed $background " in
  *" $f "*) ;;
  *) parallel="$parallel $f" ;;
  esac
done

prep_log=$(mktemp)
soak_log=$(mktemp)
trap 'rm -f "$prep_log" "$soak_log"' EXIT
"$deno" run -A tests/_prepare_runtimes.ts >"$prep_log" 2>&1 &
prep=$!

rc=0
soak=""
if [ -n "$background" ]; then
  "$deno" test -A "$background" >"$soak_log" 2>&1 &
  soak=$!
fi
started=$(date +%s)
# shellcheck disable=SC2086 # one path per word
DENO_JOBS=${DENO_JOBS:-3} "$deno" test -A --parallel $parallel || rc=$?
if ! wait "$prep"; then
  # Not fatal: the test files prepare what they need themselves (and say why not).
  echo "e2e: preparing in the background failed (the tests do it themselves):" >&2
  tail -5 "$prep_log" >&2
fi
if [ -n "$soak" ]; then
  wait "$soak" || rc=$?
  cat "$soak_log"
fi
timed_started=$(date +%s)
# shellcheck disable=SC2086 # one path per word
"$deno" test -A $timed || rc=$?
ended=$(date +%s)
echo "e2e: parallel phase $((timed_started - started)) s, timed phase $((ended - timed_started)) s"
exit "$rc"
