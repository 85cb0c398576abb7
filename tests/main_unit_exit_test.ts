/**
 * The container's exit code for its main unit (`CSD_MAIN_UNIT`), as docs/bootstrap.md's
 * table gives it: what a shell would give. One container per case, all from one
 * directory of test units bind-mounted into the image; the cases of one image run a few
 * at a time. The units print nothing the test depends on: the exit code is the check
 * (the log of a container that lives under a second is another issue's subject).
 */
import assert from "node:assert/strict";
import { docker } from "./harness.ts";
import { imageName, type ImageTag, testImageTags } from "./images.ts";
import {
  containerName,
  MINIMAL,
  pooled,
  runDetached,
  runToExit,
  waitRunning,
} from "./bootstrap_helpers.ts";

/** One case: a unit file, made the main unit, and the exit code the container must give. */
interface ExitCase {
  /** What the case shows. */
  what: string;
  /** The unit file's text ("[Unit]" and "[Service]" sections); "" for no file. */
  unit: string;
  /** The container's exit code. */
  code: number;
}

/** The cases, by unit name. `$$$$` in a unit file is the shell's `$$`. */
const CASES: Record<string, ExitCase> = {
  "csd-x-ok.service": {
    what: "a oneshot that succeeds: 0",
    unit: "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    code: 0,
  },
  "csd-x-exit7.service": {
    what: "the main process exits 7: 7",
    unit: "[Service]\nType=exec\nExecStart=/bin/sh -c 'exit 7'\n",
    code: 7,
  },
  "csd-x-kill.service": {
    what: "the main process killed by SIGKILL: 128 + 9",
    unit: "[Service]\nType=exec\nExecStart=/bin/sh -c 'kill -9 $$$$'\n",
    code: 137,
  },
  "csd-x-pre.service": {
    what: "ExecStartPre= exits 3: 3",
    unit: "[Service]\nExecStartPre=/bin/sh -c 'exit 3'\nExecStart=/bin/sleep infinity\n",
    code: 3,
  },
  "csd-x-post.service": {
    what: "ExecStartPost= exits 4: 4",
    unit: "[Service]\nExecStart=/bin/sleep infinity\nExecStartPost=/bin/sh -c 'exit 4'\n",
    code: 4,
  },
  "csd-x-timeout.service": {
    what: "start timeout, the main process killed by SIGTERM: 128 + 15",
    unit: "[Service]\nType=notify\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1\n",
    code: 143,
  },
  "csd-x-dep.service": {
    what: "a required unit fails: 1",
    unit: "[Unit]\nRequires=csd-x-pre.service\nAfter=csd-x-pre.service\n" +
      "[Service]\nExecStart=/bin/sleep infinity\n",
    code: 1,
  },
  "csd-x-cond.service": {
    what: "a Condition*= does not hold: 1",
    unit: "[Unit]\nConditionPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep infinity\n",
    code: 1,
  },
  "csd-x-assert.service": {
    what: "an Assert*= does not hold: 1",
    unit: "[Unit]\nAssertPathExists=/nonexistent\n[Service]\nExecStart=/bin/sleep infinity\n",
    code: 1,
  },
  "csd-x-execcond.service": {
    what: "ExecCondition= exits 1 (skip): 1",
    unit: "[Service]\nExecCondition=/bin/sh -c 'exit 1'\nExecStart=/bin/sleep infinity\n",
    code: 1,
  },
  "csd-x-restart.service": {
    what: "Restart=on-failure: fails twice, succeeds the third time: 0",
    unit: "[Service]\nType=exec\nRestart=on-failure\nRestartSec=100ms\n" +
      "ExecStart=/bin/sh -c 'n=$$(cat /run/csd-x-n 2>/dev/null || echo 0); " +
      "n=$$((n + 1)); echo $$n >/run/csd-x-n; [ $$n -ge 3 ] || exit 4'\n",
    code: 0,
  },
  "csd-x-limit.service": {
    what: "Restart=always until the start limit, exiting 6: 6",
    unit: "[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=60\n" +
      "[Service]\nType=exec\nRestart=always\nRestartSec=100ms\nExecStart=/bin/sh -c 'exit 6'\n",
    code: 6,
  },
  "csd-x-nobin.service": {
    what: "ExecStart= names no file: systemd's status 203 (EXEC)",
    unit: "[Service]\nExecStart=/nonexistent/bin\n",
    code: 203,
  },
  "csd-x-missing.service": {
    what: "no such unit: 1",
    unit: "",
    code: 1,
  },
  "csd-x-long.service": {
    what: "fails once, restarts, then runs until stopped (docker stop: 0)",
    unit: "[Service]\nType=exec\nRestart=on-failure\nRestartSec=100ms\n" +
      "ExecStart=/bin/sh -c '[ -e /run/csd-x-long ] && exec sleep infinity; " +
      ": >/run/csd-x-long; exit 4'\n",
    code: 0,
  },
};

const unitDir = await Deno.makeTempDir({ prefix: "csd-exit-units-" });
await Deno.chmod(unitDir, 0o755);
for (const [name, c] of Object.entries(CASES)) {
  if (c.unit) await Deno.writeTextFile(`${unitDir}/${name}`, c.unit, { mode: 0o644 });
}
globalThis.addEventListener("unload", () => Deno.removeSync(unitDir, { recursive: true }));
/** `docker run` flags that mount every case's unit. */
const MOUNTS = Object.keys(CASES).filter((n) => CASES[n]!.unit).flatMap((n) => [
  "-v",
  `${unitDir}/${n}:/etc/systemd/system/${n}:ro`,
]);

/** The MESSAGE of each JSON line of a container log (the agent's default output), else the line. */
function messages(log: string): string[] {
  return log.trim().split("\n").map((l) => /"MESSAGE":"((?:[^"\\]|\\.)*)"/.exec(l)?.[1] ?? l);
}

for (const tag of testImageTags()) {
  Deno.test({
    name: `main unit: the container exits as a shell would, for every case [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const names = Object.keys(CASES).filter((n) => n !== "csd-x-long.service");
      const runs = await pooled(
        5,
        names.map((name) => () =>
          runToExit(tag as ImageTag, [...MINIMAL, ...MOUNTS, "-e", `CSD_MAIN_UNIT=${name}`], {
            // Five boots at once beside the other test files' floods on two cores: slow.
            timeoutMs: 90_000,
          })
        ),
      );
      const wrong = names.flatMap((name, i) => {
        const r = runs[i]!;
        const c = CASES[name]!;
        return r.code === c.code ? [] : [
          `${name} (${c.what}): exit code ${r.code} after ${Math.round(r.ms)} ms ` +
          `(137 at 90,000 ms: timed out), expected ${c.code}; last messages:\n` +
          messages(r.stdout + r.stderr).slice(-12).join("\n"),
        ];
      });
      assert.deepEqual(wrong, [], wrong.join("\n\n"));
    },
  });

  Deno.test({
    name:
      `main unit: restarted once, the system is "running"; docker stop exits 0 within 3 s [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const name = containerName(tag);
      try {
        await runDetached(name, imageName(tag as ImageTag), [
          ...MOUNTS,
          "-e",
          "CSD_MAIN_UNIT=csd-x-long.service",
        ]);
        // "running", not "starting": nothing waits on a job after the restart.
        await waitRunning(name);
        const restarts = await docker([
          "exec",
          name,
          "systemctl",
          "show",
          "-p",
          "NRestarts",
          "--value",
          "csd-x-long.service",
        ]);
        assert.equal(restarts.stdout.trim(), "1");
        const t0 = performance.now();
        const stop = await docker(["stop", name], { timeoutMs: 30_000 });
        const ms = performance.now() - t0;
        assert.equal(stop.code, 0, stop.stderr);
        const code = await docker(["inspect", "-f", "{{.State.ExitCode}}", name]);
        if (code.stdout.trim() !== "0" || ms > 3000) {
          console.error((await docker(["logs", name])).stdout.split("\n").slice(-30).join("\n"));
        }
        assert.equal(code.stdout.trim(), "0");
        assert.ok(ms < 3000, `docker stop took ${ms.toFixed(0)} ms`);
      } finally {
        await docker(["rm", "-f", "-v", name]);
      }
    },
  });
}
