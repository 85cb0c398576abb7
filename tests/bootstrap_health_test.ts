/**
 * End-to-end tests of `containering-systemd health` (HEALTHCHECK, probes) and
 * `containering-systemd doctor`.
 */
import assert from "node:assert/strict";
import { delay, docker, testEachImage } from "./harness.ts";
import { type ImageTag, testImageTags } from "./images.ts";
import { runToExit } from "./bootstrap_helpers.ts";

const selectedImages = (): ImageTag[] => {
  return testImageTags();
};

/** Parses the doctor's table into check -> [status, detail]. */
function parseTable(text: string): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  const lines = text.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^CHECK\s+STATUS\s+DETAIL$/);
  for (const line of lines.slice(1)) {
    const m = /^(.+?)\s{2,}(ok|warn|fail|info)\s{2,}(.*)$/.exec(line);
    assert.ok(m, `not a table row: ${JSON.stringify(line)}`);
    rows.set(m[1]!, [m[2]!, m[3]!]);
  }
  return rows;
}

testEachImage(
  'health: 0 and "running", then 1 and "degraded" after a unit failed (0 with --degraded)',
  { flags: ["minimal"] },
  async (c) => {
    const ok = await c.exec(["containering-systemd", "health"]);
    assert.deepEqual([ok.code, ok.stdout], [0, "running\n"]);
    // Answered by the shell wrapper, without the Deno runtime (HEALTHCHECK runs it often).
    const noDeno = await c.sh(
      "chmod -x /usr/lib/containering-systemd/deno; containering-systemd health; rc=$?; " +
        "chmod +x /usr/lib/containering-systemd/deno; exit $rc",
    );
    assert.deepEqual([noDeno.code, noDeno.stdout], [0, "running\n"], noDeno.stderr);
    const failed = await c.exec([
      "systemd-run",
      "--unit",
      "csd-failing",
      "--wait",
      "--quiet",
      "/bin/false",
    ]);
    assert.notEqual(failed.code, 0);
    const bad = await c.exec(["containering-systemd", "health"]);
    assert.deepEqual([bad.code, bad.stdout], [1, "degraded\n"]);
    const accepted = await c.exec(["containering-systemd", "health", "--degraded"]);
    assert.deepEqual([accepted.code, accepted.stdout], [0, "degraded\n"]);
    // Other options go to the TypeScript, with the same answer.
    const viaDeno = await c.exec(["containering-systemd", "health", "--timeout", "5000"]);
    assert.deepEqual([viaDeno.code, viaDeno.stdout], [1, "degraded\n"]);
  },
);

/** One entry of `docker inspect`'s `.State.Health.Log`. */
interface Probe {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** The realtime (ms since the epoch) at which systemd in container `name` was "running". */
async function runningAt(name: string): Promise<number> {
  const r = await docker([
    "exec",
    name,
    "sh",
    "-c",
    "systemctl show -p FinishTimestampMonotonic --value; cut -d' ' -f1 /proc/uptime; date +%s%N",
  ]);
  const [finishUs, uptimeS, nowNs] = r.stdout.trim().split("\n").map(Number);
  assert.ok(finishUs && uptimeS && nowNs, `no boot times: ${r.stdout}${r.stderr}`);
  // /proc/uptime is CLOCK_BOOTTIME, equal to CLOCK_MONOTONIC on a host that never slept.
  return nowNs / 1e6 - (uptimeS * 1000 - finishUs / 1000);
}

testEachImage(
  "the image's own HEALTHCHECK, no health flags: healthy within 3 s of running, the next " +
    "check held (no second one within 4 s), and a docker stop during the hold under 2 s",
  { flags: ["minimal"] },
  async (c) => {
    const probes = async (): Promise<Probe[]> =>
      JSON.parse(
        (await docker(["inspect", "-f", "{{json .State.Health.Log}}", c.name])).stdout,
      ) ?? [];
    let log: Probe[] = [];
    for (const end = Date.now() + 20_000; Date.now() < end; await delay(200)) {
      log = await probes();
      if (log.some((p) => p.ExitCode === 0)) break;
    }
    const first = log.find((p) => p.ExitCode === 0);
    assert.ok(first, `never healthy: ${JSON.stringify(log)}`);
    assert.equal(first.Output, "running\n");
    const late = Date.parse(first.End) - await runningAt(c.name);
    assert.ok(late <= 3000, `healthy ${late} ms after systemd was running`);
    // Docker starts the next check 1 s after this one ended; it sleeps CSD_HEALTH_HOLD
    // (59 s) before it asks, so no check ends in the next 4 s (without the hold: 3 or 4).
    const count = log.length;
    for (const end = Date.parse(first.End) + 4000; Date.now() < end; await delay(500)) {
      log = await probes();
      assert.equal(log.length, count, `a check ended during the hold: ${JSON.stringify(log)}`);
    }
    // The held check is still in the container: the stop must not wait for it.
    const stop = await c.stop();
    assert.equal(stop.exitCode, 0);
    assert.ok(stop.ms < 2000, `docker stop took ${Math.round(stop.ms)} ms`);
  },
);

testEachImage(
  "doctor inside a running container: a table, every essential check ok, exit 0",
  {},
  async (c) => {
    const r = await c.exec(["containering-systemd", "doctor"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rows = parseTable(r.stdout);
    assert.deepEqual([...rows.keys()], [
      "PID 1",
      "systemd",
      "configuration",
      "/run",
      "memory",
      "cgroups",
      "CAP_SYS_ADMIN",
      "capabilities",
      "seccomp",
      "read-only",
      "pidfd_getfd",
      "bootstrap",
      "interceptor",
      "system state",
      "failed units",
      "stop signal",
    ]);
    for (const check of ["PID 1", "systemd", "configuration", "/run", "cgroups", "bootstrap"]) {
      assert.equal(rows.get(check)?.[0], "ok", `${check}: ${rows.get(check)?.[1]}`);
    }
    assert.deepEqual(rows.get("system state"), ["ok", "running"]);
    assert.deepEqual(rows.get("CAP_SYS_ADMIN"), ["info", "yes"]);
    for (const check of ["capabilities", "seccomp"]) {
      assert.equal(rows.get(check)?.[0], "ok", `${check}: ${rows.get(check)?.[1]}`);
    }
    assert.deepEqual(rows.get("read-only"), ["ok", "root writable"]);
    // --privileged brings CAP_SYS_PTRACE; Docker's default set and seccomp profile refuse.
    const pidfd = rows.get("pidfd_getfd")!;
    if (c.flags === "privileged") assert.deepEqual(pidfd, ["ok", "allowed"]);
    else assert.match(`${pidfd[0]} ${pidfd[1]}`, /^info refused \(EPERM, no CAP_SYS_PTRACE\)/);
    assert.match(rows.get("stop signal")![1], /SIGRTMIN\+3/);
  },
);

for (const tag of selectedImages()) {
  Deno.test({
    name: `doctor in place of the entrypoint shows what is missing, exit 1 [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const r = await runToExit(tag, [
        "--cgroupns=private",
        "--entrypoint",
        "/usr/bin/containering-systemd",
      ], { args: ["doctor"] });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const rows = parseTable(r.stdout);
      assert.deepEqual(rows.get("PID 1"), ["info", "this process (systemd not started)"]);
      assert.equal(rows.get("/run")?.[0], "fail");
      assert.match(rows.get("/run")![1], /run with --tmpfs \/run --tmpfs \/run\/lock$/);
      assert.equal(rows.get("cgroups")?.[0], "fail");
      assert.match(rows.get("cgroups")![1], /run with --cap-add SYS_ADMIN --cgroupns=private/);
      assert.deepEqual(rows.get("CAP_SYS_ADMIN"), ["info", "no"]);
    },
  });
}
