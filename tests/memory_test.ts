/**
 * Memory-limited containers (issue 9): a service logging several times the container's
 * memory limit as fast as it can must neither get the container OOM-killed (the
 * bootstrap caps the runtime journal, bootstrap/journal_budget.ts) nor lose a line; and
 * where the log reader stalls while the journal overflows, the agent reports exactly
 * how many entries journald removed (agent/source/gap.ts).
 *
 * Wall time: the 128 MiB run (about 640 MiB of log) and the stall run share one
 * container per image; the 256 MiB run (about 1.3 GiB of log) runs on debian-12 only
 * (set CSD_MEMORY_ALL=1 for all three): the cap comes from the same code on all three,
 * and each run costs tens of seconds.
 *
 * The cap as journald and doctor report it, a user's own RuntimeMaxUse= and a privileged
 * container without --tmpfs /run (nothing timed): tests/memory_config_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Container, docker, testEachImage } from "./harness.ts";
import { floodScenario, stallScenario, type Target } from "./_memory.ts";

const MIB = 1024 * 1024;

function limitFlags(mib: number): string[] {
  return ["--memory", `${mib}m`, "--memory-swap", `${mib}m`];
}

async function logPath(c: Container): Promise<string> {
  const r = await docker(["inspect", "-f", "{{.LogPath}}", c.name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Whether the container runs, and whether the kernel OOM-killed it. */
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

async function target(c: Container): Promise<Target> {
  return {
    image: c.tag,
    runtime: "docker",
    exec: (cmd) => c.exec(cmd, { timeoutMs: 300_000 }),
    logPath: await logPath(c),
    format: "json-file",
    state: () => alive(c),
    peakBytes: () => peakBytes(c),
  };
}

/** The cap the bootstrap wrote (`RuntimeMaxUse=` of its drop-in). */
async function journalCap(c: Container): Promise<string> {
  const r = await c.exec([
    "cat",
    "/run/systemd/journald.conf.d/00-containering-systemd-memory.conf",
  ]);
  return /^RuntimeMaxUse=(.*)$/m.exec(r.stdout)?.[1] ?? `none (${r.stderr.trim()})`;
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
    const t = await target(c);
    await floodScenario(t, 128);
    // 1/4 of 128 MiB (checked after the flood: on the old code the flood fails first).
    assert.equal(await journalCap(c), "32M");
    await stallScenario(t, 32 * MIB);
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
    await floodScenario(await target(c), 256);
    assert.equal(await journalCap(c), "64M");
  },
);
