/**
 * The image's journald and manager settings for containers
 * (rootfs/usr/lib/systemd/journald.conf.d, system.conf.d, the empty machine ID): each
 * test failed before its setting existed.
 */
import assert from "node:assert/strict";
import { Container, docker, testEachImage } from "./harness.ts";

/** Forwarded `json` lines of the container's stdout whose MESSAGE is `message`. */
function countMessage(stdout: string, message: string): number {
  const needle = `"MESSAGE":${JSON.stringify(message)}`;
  return stdout.split("\n").filter((l) => l.includes(needle)).length;
}

testEachImage("docker restart forwards each run's entries once", {}, async (c) => {
  assert.equal((await c.exec(["logger", "-t", "csd", "before the restart"])).code, 0);
  await c.waitForLogs((l) => countMessage(l.stdout, "before the restart") === 1);
  const r = await docker(["restart", "-t", "10", c.name]);
  assert.equal(r.code, 0, r.stderr);
  await c.waitRunning();
  assert.equal((await c.exec(["logger", "-t", "csd", "after the restart"])).code, 0);
  const logs = await c.waitForLogs((l) => countMessage(l.stdout, "after the restart") === 1);
  assert.equal(countMessage(logs.stdout, "before the restart"), 1, "earlier run repeated");
});

testEachImage("every container gets a machine ID of its own", {
  flags: ["minimal"],
}, async (c) => {
  await using other = await Container.start(c.tag, { flags: "minimal" });
  const ids = [];
  for (const x of [c, other]) {
    const r = await x.exec(["cat", "/etc/machine-id"]);
    assert.match(r.stdout.trim(), /^[0-9a-f]{32}$/);
    ids.push(r.stdout.trim());
  }
  assert.notEqual(ids[0], ids[1]);
});

testEachImage("the host's kernel log stays out of a privileged container's log", {
  flags: ["privileged"],
}, async (c) => {
  const k = await c.exec(["journalctl", "-k", "-q", "--no-pager", "-o", "cat"]);
  assert.equal(k.stdout, "", "kernel entries in the journal");
  const logs = await c.logs();
  assert.equal(logs.stdout.includes('"_TRANSPORT":"kernel"'), false);
});

testEachImage("a service's burst of 50,000 lines arrives whole (no journald rate limit)", {
  flags: ["minimal"],
}, async (c) => {
  const r = await c.exec([
    "systemd-run",
    "--quiet",
    "--wait",
    "--unit=csd-burst",
    "sh",
    "-c",
    "seq 1 50000",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const seen = new Set<number>();
  await c.waitForLogs((l) => {
    seen.clear();
    for (const line of l.stdout.split("\n")) {
      if (!line.includes('"_SYSTEMD_UNIT":"csd-burst.service"')) continue;
      const m = /"MESSAGE":"(\d+)"/.exec(line);
      if (m) seen.add(Number(m[1]));
    }
    return seen.size === 50000;
  }, 60_000);
});

testEachImage("a unit that ignores SIGTERM does not turn docker stop into a kill", {
  flags: ["minimal"],
}, async (c) => {
  const r = await c.exec([
    "systemd-run",
    "--quiet",
    "--unit=csd-stubborn",
    "sh",
    "-c",
    "trap '' TERM; while :; do sleep 1; done",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const stop = await c.stop(10);
  assert.equal(stop.exitCode, 0, `exit code after ${stop.ms.toFixed(0)} ms`);
  assert.ok(stop.ms < 10_000, `docker stop took ${stop.ms.toFixed(0)} ms`);
});
