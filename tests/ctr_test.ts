/**
 * The `ctr` flag set of docs/runtimes.md, on the project's containerd
 * (scripts/ensure_containerd.sh): default capabilities, a cgroup namespace, a cgroup2
 * mount and tmpfs at /tmp and /run/lock. Attached, the container's stdout is ctr's and
 * ctr exits with the container's exit code: the journal is forwarded there, and
 * `ctr task kill` (the image's STOPSIGNAL) halts systemd with exit code 0.
 */
import assert from "node:assert/strict";
import { CriClient, type CriSetup, ensureContainerd } from "./_cri.ts";
import { imageName, testImageTags } from "./images.ts";
import { uniqueSuffix } from "./harness.ts";

const list = (env: string) => Deno.env.get(env)?.split(",").map((s) => s.trim());
const TAGS = testImageTags();
/** containerd 1 (the host's, 1.6 on Debian 12) and 2 (Debian sid's); CSD_TEST_CONTAINERD picks. */
const MAJORS = (["1", "2"] as const).filter((m) =>
  list("CSD_TEST_CONTAINERD")?.includes(m) ?? true
);

/** docs/runtimes.md's `ctr run` flags, before the image and the container ID. */
const CTR_FLAGS = [
  "--with-ns",
  "cgroup:",
  "--mount",
  "type=cgroup2,src=cgroup2,dst=/sys/fs/cgroup,options=rw:nosuid:nodev:noexec:nsdelegate",
  "--mount",
  "type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777",
  "--mount",
  "type=tmpfs,src=tmpfs,dst=/run/lock,options=nosuid:nodev:noexec",
];

/** Runs `ctr --address SOCK --namespace k8s.io ARGS...`. */
async function ctr(
  setup: CriSetup,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(setup.ctr!, {
    args: ["--address", setup.socket!, "--namespace", "k8s.io", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

for (const major of MAJORS) {
  const setup = await ensureContainerd(major);
  if (setup.skip) console.error(`ctr_test: skipping the containerd ${major} tests: ${setup.skip}`);
  for (const tag of TAGS) registerTest(setup, major, tag);
}

function registerTest(setup: CriSetup, major: string, tag: typeof TAGS[number]): void {
  Deno.test({
    name:
      `ctr run with docs/runtimes.md's flags boots, forwards and stops with 0 [debian-${tag}, containerd ${major}]`,
    ignore: !setup.socket,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const client = new CriClient(setup);
      const image = imageName(tag);
      try {
        await client.ensureImage(image);
      } finally {
        client.close();
      }
      const id = `csd-ctr-${tag}-${uniqueSuffix()}`;
      const child = new Deno.Command(setup.ctr!, {
        args: [
          "--address",
          setup.socket!,
          "--namespace",
          "k8s.io",
          "run",
          "--rm",
          "--env",
          "JOURNALAGENT_OUTPUT=cat",
          "--env",
          "APP_MODE=ctr",
          ...CTR_FLAGS,
          `docker.io/library/${image}`,
          id,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const deadline = setTimeout(() => {
        console.error(`ctr_test: ${id} passed its deadline (120 s); killing it`);
        ctr(setup, ["task", "kill", "--signal", "SIGKILL", id]).catch(() => {});
      }, 120_000);
      const output = child.output();
      let exited = false;
      output.then(() => exited = true, () => exited = true);
      try {
        // Booted: is-system-running says running (polled with a deadline).
        const end = Date.now() + 60_000;
        let state = "";
        let n = 0;
        while (state !== "running") {
          assert.ok(!exited, `${id} exited before it was running`);
          assert.ok(Date.now() < end, `${id} did not reach running within 60 s (last: ${state})`);
          await new Promise((r) => setTimeout(r, 200));
          const r = await ctr(setup, [
            "task",
            "exec",
            "--exec-id",
            `probe${++n}`,
            id,
            "systemctl",
            "is-system-running",
          ]);
          state = r.stdout.trim();
        }
        const t0 = performance.now();
        const kill = await ctr(setup, ["task", "kill", id]);
        assert.equal(kill.code, 0, kill.stderr);
        const out = await output;
        const ms = performance.now() - t0;
        console.log(
          `ctr_test: containerd ${major}, debian-${tag}: ctr task kill to exit ${
            ms.toFixed(0)
          } ms, exit ${out.code}`,
        );
        assert.equal(out.code, 0, "ctr run's exit code (the container's)");
        assert.ok(ms < 2000, `the stop took ${ms.toFixed(0)} ms (limit 2000 ms)`);
        const lines = new TextDecoder().decode(out.stdout).split("\n");
        assert.ok(lines.some((l) => /^Forwarding the journal from the start of the boot/.test(l)));
        assert.ok(lines.indexOf("Journal stopped") > lines.indexOf("Shutting down."));
      } catch (e) {
        // The container's output (its stdout is ctr's), once it has ended.
        await ctr(setup, ["task", "kill", "--signal", "SIGKILL", id]).catch(() => {});
        const out = await output;
        const dec = new TextDecoder();
        console.error(
          `--- ctr run output of ${id} ---\n${dec.decode(out.stdout)}\n${
            dec.decode(out.stderr)
          }---`,
        );
        throw e;
      } finally {
        clearTimeout(deadline);
        await ctr(setup, ["task", "kill", "--signal", "SIGKILL", id]).catch(() => {});
        await output.catch(() => {});
        await ctr(setup, ["containers", "rm", id]).catch(() => {});
      }
    },
  });
}
