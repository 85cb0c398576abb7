/**
 * containering-systemd:debian-12-arm64 under qemu-user emulation on an x86-64 host
 * (docs/runtimes.md, "arm64"): one container with the minimal flags boots, forwards a
 * service's line, passes `docker run -e` to a service, doctor is content, the agent is
 * SIGKILLed three times during floods with nothing lost or repeated, and the container
 * stops with exit 0 and journald's last line in the log.
 *
 * The stop: qemu-user remaps real-time signals (a host signal N reaches the emulated
 * process as N - 2), so Docker's SIGRTMIN+3 (37) arrives as SIGRTMIN+1, systemd's
 * "rescue" request, and `docker stop` ends after its timeout with 137. The container is
 * therefore started with `--stop-signal 39`, which arrives as SIGRTMIN+3 (halt). On real
 * arm64 hardware the image's own STOPSIGNAL is right and 39 would mean reboot.
 *
 * Builds what is missing first (tests/portability/_image.ts: binfmt handlers, the arm64
 * base, the arm64 Deno, the image). `CSD_TEST_ARM64=13,sid` picks other arm64 images
 * (default 12).
 */
import assert from "node:assert/strict";
import { Container } from "../harness.ts";
import type { ImageTag } from "../images.ts";
import {
  type FloodSpec,
  installFlood,
  journalSeqs,
  killAgent,
  startFloods,
  sumTallies,
  tally,
  waitFloods,
  waitForwarded,
} from "../_flood.ts";
import { ensureImage } from "./_image.ts";
import {
  CHECK_ENV,
  checkBoot,
  checkDoctor,
  checkEnv,
  checkForwarding,
  checkStop,
} from "./_checks.ts";

/**
 * systemd's major version in the stable arm64 images; sid's moves, so it is read from the
 * image's systemd package (dpkg), which the booted PID 1 must then be.
 */
const SYSTEMD: Record<string, number | undefined> = { "12": 252, "13": 257 };

/** The major version of the systemd package installed in the container's image. */
async function packagedSystemd(c: Container): Promise<number> {
  const r = await c.exec(["dpkg-query", "-W", "-f", "${Version}", "systemd"]);
  const major = Number(/^(?:\d+:)?(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(major > 0, `dpkg-query -W systemd: ${r.stdout} ${r.stderr}`);
  return major;
}

/**
 * Under emulation the bootstrap gives the agent's start 120 s instead of the unit's 8 s
 * (bootstrap/emulation.ts), and the agent comes up at its first start: no start timed
 * out, no restart before the kills below.
 */
async function checkAgentStart(c: Container): Promise<void> {
  const r = await c.exec([
    "systemctl",
    "show",
    "journalagent.service",
    "-p",
    "TimeoutStartUSec",
    "-p",
    "NRestarts",
    "-p",
    "ExecMainStartTimestampMonotonic",
    "-p",
    "ActiveEnterTimestampMonotonic",
  ]);
  const p = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("=", 2)));
  const start = (Number(p.ActiveEnterTimestampMonotonic) -
    Number(p.ExecMainStartTimestampMonotonic)) / 1e6;
  console.error(
    `arm64 agent start [${c.tag}]: ${start.toFixed(1)} s to READY=1; ${
      r.stdout.trim().replaceAll("\n", ", ")
    }`,
  );
  const journal = await c.exec(["journalctl", "-b", "-u", "journalagent.service", "-o", "cat"]);
  const timedOut = journal.stdout.split("\n").filter((l) => l.includes("timed out"));
  assert.deepEqual(
    { TimeoutStartUSec: p.TimeoutStartUSec, NRestarts: p.NRestarts, timedOut },
    { TimeoutStartUSec: "2min", NRestarts: "0", timedOut: [] },
  );
}

/** The host signal that reaches an emulated process as SIGRTMIN+3 (see above). */
const EMULATED_HALT_SIGNAL = "39";

/** Two paced floods: 6,000 entries over about 6 s. */
const FLOODS: FloodSpec[] = [1, 2].map((i) => ({ name: `arm-${i}`, count: 3000, rate: 500 }));

/**
 * Under qemu-user (7.2, Debian 12's) the units with credentials (systemd-sysusers,
 * systemd-tmpfiles-setup, -setup-dev) fail at spawn: "Failed at step CREDENTIALS ...:
 * Invalid argument" (243/CREDENTIALS), as the emulator refuses systemd's mount calls for
 * the credentials directory. Exactly those may fail, with that status; nothing else.
 */
async function checkFailed(c: Container): Promise<void> {
  const r = await c.exec(["systemctl", "--failed", "--no-legend", "--plain", "--type=service"]);
  const failed = r.stdout.trim().split("\n").filter(Boolean).map((l) => l.split(/\s+/)[0]!);
  const allowed = [
    "systemd-sysusers.service",
    "systemd-tmpfiles-setup-dev.service",
    "systemd-tmpfiles-setup.service",
  ];
  assert.deepEqual(failed.filter((u) => !allowed.includes(u)), [], r.stdout);
  for (const u of failed) {
    const s = await c.exec(["systemctl", "show", "-p", "ExecMainStatus", "--value", u]);
    assert.equal(s.stdout.trim(), "243", `${u}: ExecMainStatus (243 = CREDENTIALS)`);
  }
}

/** Floods with the agent killed meanwhile: every stored entry in the log, once. */
async function checkKillWhileFlooding(c: Container): Promise<void> {
  await installFlood(c);
  await startFloods(c, FLOODS);
  const kills = await killAgent(c, 3, 2);
  await waitFloods(c, FLOODS, 180_000);
  const names = FLOODS.map((s) => s.name);
  let stored = await journalSeqs((cmd) => c.exec(cmd), names);
  for (;;) {
    const seen = await waitForwarded(c, stored, 120_000);
    const again = await journalSeqs((cmd) => c.exec(cmd), names);
    if (names.every((n) => again.get(n)!.length === stored.get(n)!.length)) {
      const t = sumTallies(names.map((n) => tally(stored.get(n)!, seen.get(n)!)));
      console.error(`arm64 kill-while-flooding [${c.tag}]: ${JSON.stringify({ ...t, kills })}`);
      assert.ok(kills >= 2, `only ${kills} kills landed`);
      assert.equal(t.stored, 6000, "journald stored every entry");
      assert.deepEqual({ lost: t.lost, duplicated: t.duplicated, unknown: t.unknown }, {
        lost: 0,
        duplicated: 0,
        unknown: 0,
      });
      return;
    }
    stored = again;
  }
}

const wanted = (Deno.env.get("CSD_TEST_ARM64") ?? "12").split(",").map((s) => s.trim());
for (const debian of wanted) {
  const tag = `${debian}-arm64` as ImageTag;
  Deno.test({
    name: `arm64 under emulation: boot, forwarding, env, doctor, kills, stop [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const t0 = performance.now();
      await ensureImage(tag);
      const t1 = performance.now();
      await using c = await Container.start(tag, {
        env: CHECK_ENV,
        dockerArgs: ["--stop-signal", EMULATED_HALT_SIGNAL],
        deadlineMs: 600_000,
        waitRunning: false,
      });
      try {
        await c.waitRunning({ timeoutMs: 300_000, acceptDegraded: true });
      } catch (e) {
        await c.printLogs();
        throw e;
      }
      const t2 = performance.now();
      const major = SYSTEMD[debian] ?? await packagedSystemd(c);
      const checks: [string, () => Promise<void>][] = [
        [`boots systemd ${major} with the agent active`, () => checkBoot(c, major, 120_000)],
        ["the agent's start had 120 s and needed one try", () => checkAgentStart(c)],
        ["only the units that need credentials failed (qemu-user)", () => checkFailed(c)],
        ["a service's line is forwarded once", () => checkForwarding(c, 120_000)],
        ["docker run -e reaches the image's own service", () => checkEnv(c, 120_000)],
        [
          "doctor exits 0, systemd degraded by those units (running on real arm64)",
          async () => {
            const state = (await c.exec(["systemctl", "is-system-running"])).stdout.trim();
            await checkDoctor(c, major, { degraded: state === "degraded", timeoutMs: 180_000 });
          },
        ],
        ["3 agent kills during floods: lost 0, duplicated 0", () => checkKillWhileFlooding(c)],
        [
          `docker stop (--stop-signal ${EMULATED_HALT_SIGNAL}): exit 0 within 10 s`,
          () => checkStop(c, 10_000),
        ],
      ];
      // Each later check needs a booted system with the agent active: after a failed boot
      // they are ignored, not run (each would wait out its own timeout, about 11 min).
      let ok = true;
      let booted = true;
      for (const [i, [name, fn]] of checks.entries()) {
        const passed: boolean = await t.step({
          name,
          ignore: !booted,
          sanitizeResources: false,
          sanitizeOps: false,
          fn,
        });
        if (i === 0) booted = passed;
        ok &&= passed;
      }
      if (!ok) await c.printLogs();
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.error(
        `arm64 [${tag}]: image ready in ${s(t1 - t0)}, booted in ${s(t2 - t1)}, ` +
          `checks in ${s(performance.now() - t2)}`,
      );
    },
  });
}
