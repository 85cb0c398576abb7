/**
 * Memory-limited containers (issue 9): a service logging several times the container's
 * memory limit as fast as it can must neither get the container OOM-killed (the
 * bootstrap caps the runtime journal, bootstrap/journal_budget.ts) nor lose a line; and
 * where the log reader stalls while the journal overflows, the agent reports exactly
 * how many entries journald removed (agent/gap.ts).
 *
 * Wall time: the 128 MiB run (about 640 MiB of log) and the stall run share one
 * container per image; the 256 MiB run (about 1.3 GiB of log) runs on debian-12 only
 * (set CSD_MEMORY_ALL=1 for all three): the cap comes from the same code on all three,
 * and each run costs tens of seconds.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, docker, testEachImage } from "./harness.ts";
import { recordFigure } from "./_figures.ts";
import { flood, linesFor, lossCount, pollUntil, readLogFile, tallyFlood } from "./_memory.ts";
import { agentPid } from "./_flood.ts";

const MIB = 1024 * 1024;

function limitFlags(mib: number): string[] {
  return ["--memory", `${mib}m`, "--memory-swap", `${mib}m`];
}

async function logPath(c: Container): Promise<string> {
  const r = await docker(["inspect", "-f", "{{.LogPath}}", c.name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Running and not OOM-killed, and the cgroup's peak memory (cgroup v1), in bytes. */
async function alive(c: Container): Promise<{ running: boolean; oomKilled: boolean }> {
  const r = await docker(["inspect", "-f", "{{.State.Running}} {{.State.OOMKilled}}", c.name]);
  const [running, oom] = r.stdout.trim().split(" ");
  return { running: running === "true", oomKilled: oom === "true" };
}

async function peakBytes(c: Container): Promise<number> {
  const id = (await docker(["inspect", "-f", "{{.Id}}", c.name])).stdout.trim();
  try {
    return Number(
      Deno.readTextFileSync(`/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes`),
    );
  } catch {
    return 0; // not a cgroup v1 host with the cgroupfs driver
  }
}

/**
 * Floods `5 x limit` bytes as fast as a shell writes and checks that every line reached
 * the log once and the container lives.
 */
async function fullFlood(c: Container, limitMib: number): Promise<void> {
  const path = await logPath(c);
  const sent = linesFor(limitMib * MIB);
  const t0 = performance.now();
  const w = await flood((cmd) => c.exec(cmd, { timeoutMs: 300_000 }), "memflood", sent);
  // A writer that died with the container (SIGPIPE) says less than the container's state.
  if (w.code !== 0) assert.deepEqual(await alive(c), { running: true, oomKilled: false });
  assert.equal(w.code, 0, w.stderr);
  const writeMs = performance.now() - t0;
  const log = await pollUntil(
    () => readLogFile(path, "json-file"),
    (l) => new Set(l.seqs.get("memflood")).size >= sent || l.lossLines.length > 0,
    120_000,
  );
  const t = tallyFlood(log.seqs.get("memflood"), sent);
  const state = await alive(c);
  recordFigure({
    test: "memory",
    scenario: `flood-${limitMib}m`,
    image: c.tag,
    ...t,
    logMiB: Math.round((sent * 8_000) / MIB),
    peakMiB: Math.round((await peakBytes(c)) / MIB),
    writeMs: Math.round(writeMs),
    ms: Math.round(performance.now() - t0),
  });
  assert.deepEqual(state, { running: true, oomKilled: false });
  assert.deepEqual(log.lossLines, []);
  assert.equal(t.lost, 0, JSON.stringify(t));
  assert.equal(t.duplicated, 0, JSON.stringify(t));
}

testEachImage(
  "a flood of 5x the memory limit (128 MiB) keeps the container alive, loses nothing; a stalled agent reports exactly what journald removed",
  {
    flags: ["minimal"],
    env: { JOURNALAGENT_OUTPUT: "cat" },
    dockerArgs: limitFlags(128),
    deadlineMs: 400_000,
  },
  async (c) => {
    await fullFlood(c, 128);
    // The cap the bootstrap chose: 1/8 of 128 MiB.
    const dropIn = await c.exec([
      "cat",
      "/run/systemd/journald.conf.d/00-containering-systemd-memory.conf",
    ]);
    assert.match(dropIn.stdout, /^RuntimeMaxUse=16M$/m, dropIn.stderr);

    // The agent stopped (SIGSTOP, as a stalled log reader stalls it) while 3x the cap goes
    // into the journal: journald removes the oldest entries before the agent reads them.
    const path = await logPath(c);
    const before = (await readLogFile(path, "json-file")).lossLines.length;
    const pid = await agentPid(c);
    assert.ok(pid > 1, `agent not running (MainPID ${pid})`);
    assert.equal((await c.sh(`kill -STOP ${pid}`)).code, 0);
    const sent = linesFor(16 * MIB, 3);
    const t0 = performance.now();
    try {
      const w = await flood((cmd) => c.exec(cmd, { timeoutMs: 120_000 }), "memstall", sent);
      assert.equal(w.code, 0, w.stderr);
      // journald stored all of them once the last one is in the journal.
      await pollUntil(
        () => c.sh(`journalctl -q -t memstall -n 1 -o cat | cut -c1-20`),
        (r) => r.stdout.startsWith(`memstall ${sent - 1} `),
        30_000,
      );
    } finally {
      assert.equal((await c.sh(`kill -CONT ${pid}`)).code, 0);
    }
    const log = await pollUntil(
      () => readLogFile(path, "json-file"),
      (l) => (l.seqs.get("memstall") ?? []).includes(sent - 1) && l.lossLines.length > before,
      60_000,
    );
    const t = tallyFlood(log.seqs.get("memstall"), sent);
    const lines = log.lossLines.slice(before);
    const state = await alive(c);
    recordFigure({
      test: "memory",
      scenario: "stalled-128m",
      image: c.tag,
      ...t,
      reported: lines.map(lossCount).reduce((a, b) => a + b, 0),
      lossLines: lines.length,
      ms: Math.round(performance.now() - t0),
    });
    assert.deepEqual(state, { running: true, oomKilled: false });
    assert.ok(
      t.lost > 0,
      `nothing was lost: the stall did not overfill the journal ${JSON.stringify(t)}`,
    );
    assert.equal(t.duplicated, 0);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0]!,
      /^journalagent: \d+ journal entries lost between \d{4}-\d\d-\d\dT[\d:.]+Z and \d{4}-\d\d-\d\dT[\d:.]+Z: /,
    );
    assert.equal(lossCount(lines[0]!), t.lost, `${lines[0]} / ${JSON.stringify(t)}`);
  },
);

testEachImage(
  "a flood of 5x the memory limit (256 MiB) keeps the container alive and loses nothing",
  {
    flags: ["minimal"],
    images: Deno.env.get("CSD_MEMORY_ALL") === "1" ? undefined : ["12"],
    env: { JOURNALAGENT_OUTPUT: "cat" },
    dockerArgs: limitFlags(256),
    deadlineMs: 400_000,
  },
  async (c) => {
    const dropIn = await c.exec([
      "cat",
      "/run/systemd/journald.conf.d/00-containering-systemd-memory.conf",
    ]);
    assert.match(dropIn.stdout, /^RuntimeMaxUse=32M$/m, dropIn.stderr);
    await fullFlood(c, 256);
  },
);
