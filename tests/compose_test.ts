/**
 * End-to-end tests of docs/compose.md's compose file with Debian's docker-compose 1.29
 * and with Compose v2 (Debian 13's package), whichever scripts/ensure_compose.sh finds
 * or installs: `up -d` is healthy within 3 s of systemd's "running" (the `client`
 * service waits for it), the journal is in `logs` with the service prefix, the
 * main-unit `job` exits 0 with its unit's lines, and `down` stops the app with exit 0 in
 * under 2 s with journald's last line in its log. Timed (scripts/e2e.sh runs it alone).
 */
import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { delay, docker, uniqueSuffix } from "./harness.ts";
import { dockerBinary, imageName, type ImageTag, testImageTags } from "./images.ts";

const SCRIPT = new URL("../scripts/ensure_compose.sh", import.meta.url).pathname;
const DIR = new URL("../docs/compose/", import.meta.url).pathname;
/** The compose files each major version runs: v2 adds the `cgroup:` key. */
const FILES: Record<string, string[]> = {
  "1": ["compose.yaml"],
  "2": ["compose.yaml", "compose.cgroup.yaml"],
};
/** The targets (issue 16). */
const HEALTHY_AFTER_RUNNING_MS = 3000;
const STOP_MS = 2000;

const tag: ImageTag = (() => {
  return testImageTags()[0] ?? "12";
})();

/** `MAJOR PATH` lines of scripts/ensure_compose.sh, or why there is no Compose. */
const composes: Map<string, string> | string = await (async () => {
  const out = await new Deno.Command("sh", {
    args: [SCRIPT],
    env: { DOCKER: dockerBinary() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trim();
  if (out.code === 2) return `no Compose here: ${err}`;
  if (!out.success) throw new Error(err || `${SCRIPT} failed (exit code ${out.code})`);
  return new Map(
    new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
      const [major = "", ...path] = l.split(" ");
      return [major, path.join(" ")] as [string, string];
    }),
  );
})();

/** Runs Compose `bin` for project `project` with the files of `major`. */
async function compose(
  bin: string,
  major: string,
  project: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(bin, {
    args: ["-p", project, ...FILES[major]!.flatMap((f) => ["-f", DIR + f]), ...args],
    env: { CSD_IMAGE: imageName(tag) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const d = new TextDecoder();
  // Compose v2 starts each line with ESC [2K (erase line) even with --no-color.
  const text = stripVTControlCharacters(d.decode(out.stdout) + d.decode(out.stderr));
  return { code: out.code, out: text };
}

/** The realtime (ms since the epoch) at which systemd in `id` reached "running". */
async function runningAt(id: string): Promise<number> {
  const r = await docker([
    "exec",
    id,
    "sh",
    "-c",
    "systemctl show -p FinishTimestampMonotonic --value; cut -d' ' -f1 /proc/uptime; date +%s%N",
  ]);
  const [finishUs, uptimeS, nowNs] = r.stdout.trim().split("\n").map(Number);
  assert.ok(finishUs && uptimeS && nowNs, `no boot times from ${id}: ${r.stdout}${r.stderr}`);
  // /proc/uptime is CLOCK_BOOTTIME, equal to CLOCK_MONOTONIC on a host that never slept.
  return nowNs / 1e6 - (uptimeS * 1000 - finishUs / 1000);
}

/** Follows `docker logs -f id` until the container ends; `text()` is what came so far. */
function followLogs(id: string): { text: () => string; done: Promise<void> } {
  const child = new Deno.Command(dockerBinary(), {
    args: ["logs", "-f", id],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const d = new TextDecoder();
  const done = child.stdout.pipeTo(
    new WritableStream({ write: (b) => void (text += d.decode(b, { stream: true })) }),
  ).then(() => child.status).then(() => {});
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return { text: () => text, done: done.finally(() => clearTimeout(timer)) };
}

Deno.test("docs/compose.md shows the files of docs/compose/ verbatim", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/compose.md", import.meta.url));
  for (const file of ["compose.yaml", "compose.cgroup.yaml", "hello.service"]) {
    const text = await Deno.readTextFile(DIR + file);
    assert.ok(doc.includes(text.trimEnd()), `docs/compose.md lacks docs/compose/${file}`);
  }
});

for (const major of ["1", "2"]) {
  const bin = typeof composes === "string" ? undefined : composes.get(major);
  Deno.test({
    name: `compose v${major}: up is healthy within 3 s of running, logs carry the journal ` +
      `with the service prefix, down stops the app in under 2 s with exit 0 [debian-${tag}]`,
    ignore: bin === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const project = `csd-test-compose${major}-${uniqueSuffix()}`;
      let ok = false;
      try {
        const t0 = Date.now();
        const up = await compose(bin!, major, project, ["up", "-d"]);
        const upMs = Date.now() - t0;
        assert.equal(up.code, 0, up.out);
        const ids = async (svc: string) =>
          (await compose(bin!, major, project, ["ps", "-a", "-q", svc])).out.trim();
        const app = await ids("app");
        const [info] = JSON.parse((await docker(["inspect", app])).stdout);
        assert.equal(info.State.Health.Status, "healthy");
        const healthy = Date.parse(
          info.State.Health.Log.find((l: { ExitCode: number }) => l.ExitCode === 0).End,
        );
        const running = await runningAt(app);
        const started = Date.parse(info.State.StartedAt);
        console.log(
          `compose v${major}: up -d ${upMs} ms; app started→running ${
            Math.round(running - started)
          } ms, ` +
            `running→healthy ${Math.round(healthy - running)} ms`,
        );
        assert.ok(
          healthy - running <= HEALTHY_AFTER_RUNNING_MS,
          `healthy ${healthy - running} ms after running`,
        );
        if (major === "2") assert.equal(info.HostConfig.CgroupnsMode, "private");

        // The main-unit job ends by itself, with its unit's status.
        const job = await ids("job");
        const deadline = Date.now() + 30_000;
        let jobState = "";
        while (Date.now() < deadline) {
          jobState = (await docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", job]))
            .stdout.trim();
          if (jobState.startsWith("exited")) break;
          await delay(200);
        }
        assert.equal(jobState, "exited 0", "the main-unit job's container");

        // The journal in `logs` (the job's is complete once it ended), each line with its
        // service's prefix (1.29: "app_1 | ", v2: "app-1  | ").
        const startup = /^app[-_]1 +\| \S+ \S+ systemd\[1\]: Startup finished in .*$/m;
        let logs = "";
        for (const end = Date.now() + 30_000; Date.now() < end; await delay(200)) {
          logs = (await compose(bin!, major, project, ["logs", "--no-color"])).out;
          if (startup.test(logs)) break;
        }
        assert.match(logs, startup);
        assert.match(logs, /^client[-_]1 +\| client: app is healthy$/m);
        assert.match(logs, /^job[-_]1 +\| hello: HELLO_NAME=compose$/m);

        // down: the app's stop signal to its exit, from the engine's events.
        const follower = followLogs(app);
        for (const end = Date.now() + 30_000; !/Startup finished/.test(follower.text());) {
          assert.ok(Date.now() < end, 'docker logs -f printed no "Startup finished" in 30 s');
          await delay(50);
        }
        const since = Math.floor(Date.now() / 1000) - 1;
        const t1 = Date.now();
        const down = await compose(bin!, major, project, ["down"]);
        const downMs = Date.now() - t1;
        assert.equal(down.code, 0, down.out);
        await follower.done;
        const events = await docker([
          "events",
          "--since",
          String(since),
          "--until",
          String(Math.ceil(Date.now() / 1000) + 1),
          "--filter",
          `container=${app}`,
          "--format",
          '{{.Action}} {{.TimeNano}} {{index .Actor.Attributes "signal"}}' +
          '{{index .Actor.Attributes "exitCode"}}',
        ]);
        const at = (action: string) =>
          events.stdout.split("\n").map((l) => l.split(" ")).find((f) => f[0] === action);
        const kill = at("kill"), die = at("die");
        assert.ok(kill && die, `no kill/die events: ${events.stdout}`);
        const stopMs = (Number(die[1]) - Number(kill[1])) / 1e6;
        console.log(
          `compose v${major}: down ${downMs} ms; app stop (signal ${kill[2]}) ${
            Math.round(stopMs)
          } ms, exit ${die[2]}`,
        );
        assert.equal(kill[2], "37", "SIGRTMIN+3, the image's STOPSIGNAL");
        assert.equal(die[2], "0", "the app's exit code");
        assert.ok(stopMs < STOP_MS, `the app stopped in ${stopMs} ms`);
        assert.match(follower.text(), /systemd-journald\[\d+\]: Journal stopped$/m);
        ok = true;
      } finally {
        if (!ok) {
          console.error((await compose(bin!, major, project, ["logs", "--no-color"])).out);
        }
        await compose(bin!, major, project, ["down", "-v", "-t", "1"]);
      }
    },
  });
}
