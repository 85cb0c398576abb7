/**
 * The journal cap of memory-limited containers (issue 9) as journald and doctor report
 * it, a user's own RuntimeMaxUse= winning over it, and the cap in a privileged container
 * without --tmpfs /run. Nothing here is timed (the floods are in tests/memory_test.ts,
 * run alone), so it runs in the parallel phase.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Container, testEachImage } from "./harness.ts";

function limitFlags(mib: number): string[] {
  return ["--memory", `${mib}m`, "--memory-swap", `${mib}m`];
}

/** The cap the bootstrap wrote (`RuntimeMaxUse=` of its drop-in). */
async function journalCap(c: Container): Promise<string> {
  const r = await c.exec([
    "cat",
    "/run/systemd/journald.conf.d/00-containering-systemd-memory.conf",
  ]);
  return /^RuntimeMaxUse=(.*)$/m.exec(r.stdout)?.[1] ?? `none (${r.stderr.trim()})`;
}

/** journald's own report of its runtime journal's cap, e.g. "32M" (252 writes "32.0M"). */
async function journaldMax(c: Container): Promise<string> {
  const r = await c.exec(["journalctl", "-b", "-u", "systemd-journald", "-o", "cat", "--no-pager"]);
  const max = /^Runtime Journal .* max ([\d.]+[KMG]),/m.exec(r.stdout)?.[1];
  return max?.replace(/\.0(?=[KMG]$)/, "") ?? `none in: ${r.stdout}`;
}

testEachImage(
  "a RuntimeMaxUse= of the user's wins over the bootstrap's cap; doctor shows limit and cap",
  { flags: ["minimal"], dockerArgs: limitFlags(128) },
  async (c) => {
    // This container: the bootstrap's cap, seen by journald and by doctor; 128 MiB is
    // enough, so no warning.
    assert.equal(await journaldMax(c), "32M");
    assert.doesNotMatch((await c.logs()).stderr, /below 128 MiB/);
    const doctor = await c.exec(["containering-systemd", "doctor"]);
    assert.match(
      doctor.stdout,
      /^memory +info +limit 134217728 bytes \(\/sys\/fs\/cgroup\/memory\/memory\.limit_in_bytes\); runtime journal capped at 32M /m,
    );
    // A user's setting in /etc/systemd/journald.conf (which a drop-in would override).
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/journald.conf`, "[Journal]\nRuntimeMaxUse=24M\n");
      await using other = await Container.start(c.tag, {
        flags: "minimal",
        dockerArgs: [
          ...limitFlags(128),
          "-v",
          `${dir}/journald.conf:/etc/systemd/journald.conf:ro`,
        ],
      });
      assert.equal(
        await journalCap(other),
        "none (cat: /run/systemd/journald.conf.d/00-containering-systemd-memory.conf: No such file or directory)",
      );
      assert.equal(await journaldMax(other), "24M");
      const d = await other.exec(["containering-systemd", "doctor"]);
      assert.match(
        d.stdout,
        /^memory +info +runtime journal sized by \/etc\/systemd\/journald\.conf \(RuntimeMaxUse\)$/m,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testEachImage(
  "--privileged without --tmpfs /run: the bootstrap mounts /run, the cap holds",
  { flags: ["privileged"], dockerArgs: limitFlags(128) },
  async (c) => {
    assert.equal(await journaldMax(c), "32M");
    const mounts = await c.exec(["findmnt", "-n", "-o", "FSTYPE", "/run"]);
    assert.equal(mounts.stdout.trim().split("\n")[0], "tmpfs");
  },
);

testEachImage(
  "a memory limit below 128 MiB: one warning line at start, and doctor warns",
  { flags: ["minimal"], images: ["12"], dockerArgs: limitFlags(64) },
  async (c) => {
    const warning = "systemd-bootstrap: warning: the container's memory limit of 64 MiB is " +
      "below 128 MiB, the least this image is tested with: systemd, journald and the agent " +
      "take about 60 MiB during a log flood, so the whole container can be OOM-killed; give " +
      "it at least 128 MiB (--memory 128m)";
    const lines = (await c.logs()).stderr.split("\n").filter((l) => l.includes("128 MiB"));
    assert.deepEqual(lines, [warning]);
    const doctor = await c.exec(["containering-systemd", "doctor"]);
    assert.match(
      doctor.stdout,
      /^memory +warn +limit 67108864 bytes .*; the container's memory limit of 64 MiB is below 128 MiB/m,
    );
  },
);
