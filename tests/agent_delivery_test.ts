/**
 * journalagent delivers every entry exactly once: a flood while the agent is SIGKILLed,
 * and entries written across `systemctl restart journalagent`, `daemon-reexec` and a
 * journald restart. Entries carry sequence numbers; `docker logs` must hold each once.
 */
import assert from "node:assert/strict";
import { type Container, testEachImage } from "./harness.ts";

/**
 * Counts the lines `<tag> <number>` in `text` by number.
 *
 * @returns Numbers seen other than once, and how many distinct numbers were seen.
 */
function tally(text: string, tag: string): { distinct: number; wrong: string[] } {
  const counts = new Map<number, number>();
  const re = new RegExp(`^${tag} (\\d+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const wrong = [...counts].filter(([, c]) => c !== 1).map(([n, c]) => `${n} x${c}`);
  return { distinct: counts.size, wrong };
}

/** Waits until the line `marker` is in the container's stdout. */
async function waitForLine(c: Container, marker: string, timeoutMs = 30_000) {
  return await c.waitForLogs((l) => l.stdout.includes(`\n${marker}\n`), timeoutMs);
}

// The flood: 10 chunks of 10,000 entries written with systemd-cat; after each chunk the
// script waits until the running agent has committed a batch of it (its cursor file
// changed), then SIGKILLs it, so that every kill lands while the agent is forwarding.
const FLOOD_WITH_KILLS = `
set -eu
last=0; kills=0
for c in 0 1 2 3 4 5 6 7 8 9; do
  seq -f "flood %06g" $((c * 10000 + 1)) $((c * 10000 + 10000)) | systemd-cat -t flood
  while :; do
    pid=$(systemctl show -p MainPID --value journalagent.service)
    [ "$pid" != 0 ] && [ "$pid" != "$last" ] && break
    sleep 0.01
  done
  before=$(head -n 1 /run/journalagent/cursor 2>/dev/null || true)
  n=0
  while [ "$(head -n 1 /run/journalagent/cursor 2>/dev/null || true)" = "$before" ] && [ $n -lt 1000 ]; do
    n=$((n + 1))
  done
  kill -KILL "$pid"; kills=$((kills + 1)); last=$pid
done
echo "kills=$kills"
# journald reads each stream on its own: the end marker goes in once all are stored.
n=0
while [ "$(journalctl -t flood -o cat | grep -c '^flood ')" -lt 100000 ] && [ $n -lt 200 ]; do
  sleep 0.1; n=$((n + 1))
done
logger -t flood flood-end
`;

testEachImage(
  "journalagent forwards a 100,000-entry flood exactly once while SIGKILLed 10 times",
  { env: { JOURNALAGENT_OUTPUT: "cat" } },
  async (c) => {
    const run = await c.sh(FLOOD_WITH_KILLS, { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "kills=10");
    await waitForLine(c, "flood-end", 60_000);
    // The journal is the reference: wait until docker logs hold as many flood entries as
    // journald stored (each stream is read on its own, so some may still be coming).
    const stored = tally((await c.sh("journalctl -t flood -o cat")).stdout, "flood").distinct;
    const logs = await c.waitForLogs((l) => tally(l.stdout, "flood").distinct >= stored, 30_000)
      .catch(() => c.logs());
    const { distinct, wrong } = tally(logs.stdout, "flood");
    assert.deepEqual(wrong, [], "entries seen other than once");
    assert.equal(distinct, stored, `entries forwarded of the ${stored} the journal holds`);
    assert.equal(stored, 100_000, "entries journald stored");
    const show = await c.exec(["systemctl", "show", "-p", "NRestarts", "journalagent"]);
    assert.equal(show.stdout.trim(), "NRestarts=10");
    // The staging pipes came back from the fd store after the kills (what makes a batch
    // committed but not yet moved on survive).
    const env = await c.sh(
      "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value journalagent)/environ",
    );
    assert.match(env.stdout, /^LISTEN_FDNAMES=(stage-std(out|err)-[01]:?){4}$/m);
  },
);

// Entries written while each event happens: a restart of the agent, daemon-reexec (PID
// 1 re-executes; the agent restarted after it must still reach the container's stdout),
// and a restart of journald.
const EVENTS = `
set -eu
burst() { seq -f "$1 %05g" 1 3000 | systemd-cat -t burst; }
burst restart; systemctl restart journalagent.service; burst restart2
burst reexec; systemctl daemon-reexec; burst reexec2; systemctl restart journalagent.service
burst journald; systemctl restart systemd-journald.service; burst journald2
# journald reads each stream on its own: the end marker goes in once all are stored.
n=0
while [ "$(journalctl -t burst -o cat | grep -c '^journald2 ')" -lt 3000 ] && [ $n -lt 100 ]; do
  sleep 0.1; n=$((n + 1))
done
echo events-end | systemd-cat -t burst
`;

testEachImage(
  "journalagent loses nothing across its restart, daemon-reexec and a journald restart",
  { env: { JOURNALAGENT_OUTPUT: "cat" } },
  async (c) => {
    const run = await c.sh(EVENTS, { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    const logs = await waitForLine(c, "events-end");
    // The journal is the reference: what journald stored must arrive, each entry once.
    const journal = (await c.sh("journalctl -t burst -o cat")).stdout;
    for (const tag of ["restart", "restart2", "reexec", "reexec2", "journald", "journald2"]) {
      const stored = tally(journal, tag);
      const { distinct, wrong } = tally(logs.stdout, tag);
      assert.deepEqual(wrong, [], `${tag}: entries seen other than once`);
      assert.equal(
        distinct,
        stored.distinct,
        `${tag}: entries seen (journal has ${stored.distinct})`,
      );
      assert.ok(stored.distinct > 0, `${tag}: journald stored none`);
    }
    // The first start in the boot began at the boot's first entry.
    const first = await c.sh("journalctl -b -o cat | head -n 1");
    assert.equal(logs.stdout.split("\n")[0], first.stdout.trim());
  },
);
