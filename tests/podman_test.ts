/**
 * End-to-end tests under Podman (Debian's podman 4.3, rootful), with the flag set
 * docs/runtimes.md documents. Skipped where `podman` is not installed; `sh scripts/dev.sh
 * test` installs it on Debian as root, so CI runs them. The images are copied
 * from Docker (`docker save | podman load`, tests/_podman.ts).
 */
import assert from "node:assert/strict";
import { delay, uniqueSuffix } from "./harness.ts";
import { type ImageTag, testImageTags } from "./images.ts";
import { loadImage, podman, podmanBinary } from "./_podman.ts";
import { floodScenario, stallScenario } from "./_memory.ts";

/** Podman's flags for systemd (docs/runtimes.md). */
export const PODMAN_FLAGS = [
  "--systemd=always",
  "--runtime",
  "runc",
  "--ulimit",
  "nofile=20000:20000",
  "--ulimit",
  "nproc=32768:32768",
  "--cgroups=no-conmon",
  "--network",
  "none",
  "--no-healthcheck",
];
/** Added for systemd >= 258 on a cgroup v1/hybrid host: a private cgroup2 mount. */
export const PODMAN_V2_FLAGS = ["--cgroupns=private", "--cap-add", "SYS_ADMIN"];

/** Polls `systemctl is-system-running` in container `name` until "running" (30 s at most). */
async function waitRunning(name: string): Promise<string> {
  let state = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    state = (await podman(["exec", name, "systemctl", "is-system-running", "--wait"]))
      .stdout.trim();
    if (state === "running") break;
    await delay(200);
  }
  return state;
}

const selected = (): ImageTag[] => {
  return testImageTags();
};

for (const tag of selected()) {
  Deno.test({
    name: `podman: boots, passes -e to services, doctor ok, stops in < 2 s with 0 [debian-${tag}]`,
    ignore: podmanBinary === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const image = await loadImage(tag);
      const name = `csd-test-podman-${tag}-${uniqueSuffix()}`;
      const flags = [...PODMAN_FLAGS, ...(tag === "sid" ? PODMAN_V2_FLAGS : [])];
      try {
        const run = await podman([
          "run",
          "-d",
          "--name",
          name,
          ...flags,
          "-e",
          "APP_MODE=from podman run -e",
          image,
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(await waitRunning(name), "running");
        // A service of the image's own, running as root, gets the variable.
        const env = await podman([
          "exec",
          name,
          "sh",
          "-c",
          `
          printf '[Service]\\nType=exec\\nExecStart=/bin/sleep 600\\n' >/etc/systemd/system/csd-env.service
          systemctl daemon-reload && systemctl start csd-env
          tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value csd-env)/environ`,
        ]);
        assert.match(env.stdout, /^APP_MODE=from podman run -e$/m, env.stderr);
        const doctor = await podman(["exec", name, "containering-systemd", "doctor"]);
        assert.equal(doctor.code, 0, doctor.stdout);
        const t0 = performance.now();
        await podman(["stop", "-t", "10", name]);
        const ms = performance.now() - t0;
        const code = await podman(["inspect", "-f", "{{.State.ExitCode}}", name]);
        assert.equal(code.stdout.trim(), "0");
        assert.ok(ms < 2000, `podman stop took ${ms.toFixed(0)} ms`);
      } catch (e) {
        console.error((await podman(["logs", name])).stdout.split("\n").slice(-40).join("\n"));
        throw e;
      } finally {
        await podman(["rm", "-f", name]);
      }
    },
  });
}

for (const tag of selected()) {
  Deno.test({
    name: `podman without --systemd=always: one line naming it, exit 1 [debian-${tag}]`,
    ignore: podmanBinary === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const image = await loadImage(tag);
      const name = `csd-test-podman-bad-${tag}-${uniqueSuffix()}`;
      try {
        const r = await podman([
          "run",
          "--name",
          name,
          ...PODMAN_FLAGS.filter((f) => f !== "--systemd=always"),
          image,
        ]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const lines = r.stderr.split("\n").filter(Boolean);
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, /^systemd-bootstrap: .*: run podman with --systemd=always$/);
      } finally {
        await podman(["rm", "-f", name]);
      }
    },
  });
}

// Memory-limited (tests/memory_test.ts has the same under Docker): on debian-12 only
// unless CSD_MEMORY_ALL=1, for the wall time (a flood of 640 MiB).
for (const tag of selected()) {
  Deno.test({
    name: `podman --memory 128m: a flood of 5x the limit loses nothing, a stalled agent ` +
      `reports what journald removed [debian-${tag}]`,
    ignore: podmanBinary === undefined ||
      (tag !== "12" && Deno.env.get("CSD_MEMORY_ALL") !== "1"),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const image = await loadImage(tag);
      const name = `csd-test-podman-mem-${tag}-${uniqueSuffix()}`;
      const flags = [...PODMAN_FLAGS, ...(tag === "sid" ? PODMAN_V2_FLAGS : [])];
      const inspect = async (format: string) =>
        (await podman(["inspect", "-f", format, name])).stdout.trim();
      try {
        const run = await podman([
          "run",
          "-d",
          "--name",
          name,
          ...flags,
          "--memory",
          "128m",
          "--memory-swap",
          "128m",
          "-e",
          "JOURNALAGENT_OUTPUT=cat",
          image,
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(await waitRunning(name), "running");
        const id = await inspect("{{.Id}}");
        const t = {
          image: tag,
          runtime: "podman",
          exec: (cmd: string[]) => podman(["exec", name, ...cmd]),
          logPath: await inspect("{{.HostConfig.LogConfig.Path}}"),
          format: "k8s-file" as const,
          state: async () => {
            const [running, oom] = (await inspect("{{.State.Running}} {{.State.OOMKilled}}"))
              .split(" ");
            return { running: running === "true", oomKilled: oom === "true" };
          },
          peakBytes: async () => {
            try {
              return Number(
                await Deno.readTextFile(
                  `/sys/fs/cgroup/memory/libpod_parent/libpod-${id}/memory.max_usage_in_bytes`,
                ),
              );
            } catch {
              return 0; // another cgroup layout
            }
          },
        };
        // conmon's log path is slower than the shell writer here: the journal overflows,
        // and every line lost must be counted in a loss line.
        await floodScenario(t, 128, { lossy: true });
        await stallScenario(t, 32 * 1024 * 1024);
      } catch (e) {
        const logs = await podman(["logs", "--tail", "40", name]);
        console.error(logs.stdout.split("\n").map((l) => l.slice(0, 300)).join("\n"));
        throw e;
      } finally {
        await podman(["rm", "-f", name]);
      }
    },
  });
}
