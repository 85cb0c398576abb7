/**
 * On a pure cgroup v2 host (simulated: a nested Docker engine with a cgroup2 of its own,
 * tests/portability/_cgroup2_host.ts), each image boots, forwards the journal and stops
 * with exit 0 in under 2 s, journald's "Journal stopped" the last line of its log: with
 * the minimal flags, with `--privileged`, and with `--privileged --cgroupns=host`, where
 * /sys/fs/cgroup is the host's own writable hierarchy and the bootstrap gives systemd a
 * cgroup namespace of its own (docs/runtimes.md, "Pure cgroup v2 hosts"). Without
 * CAP_SYS_ADMIN the host's writable hierarchy stops the container with one line; the
 * doctor in place of the entrypoint names what the bootstrap will do.
 *
 * One container per image and flag set; the checks share it. The images are built
 * (tests/portability/_image.ts) and the engine and the images in it are made on first use
 * and reused (about 25 s for the engine, 12 to 16 s per image
 * the first time). CSD_TEST_IMAGES picks the images.
 */
import assert from "node:assert/strict";
import { Container, docker, type FlagSet } from "../harness.ts";
import { runToExit } from "../bootstrap_helpers.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../images.ts";
import { type Cgroup2Engine, ensureCgroup2Engine, loadImage, withEngine } from "./_cgroup2_host.ts";
import { ensureImage } from "./_image.ts";

const want = Deno.env.get("CSD_TEST_IMAGES")?.split(",").map((s) => s.trim());
const tags = IMAGE_TAGS.filter((t) => !want || want.includes(t));

/** The flag sets run here: the harness's two, and --privileged in the host's namespace. */
const VARIANTS: readonly { name: string; flags: FlagSet; extra: string[] }[] = [
  { name: "minimal", flags: "minimal", extra: [] },
  { name: "privileged", flags: "privileged", extra: [] },
  { name: "privileged --cgroupns=host", flags: "privileged", extra: ["--cgroupns=host"] },
];

/** The minimal flags' tmpfs mounts. */
const RUN_TMPFS = ["--tmpfs", "/run", "--tmpfs", "/run/lock"];

let ready: Promise<Cgroup2Engine> | undefined;

/** The inner engine with the selected images in it; made once per process. */
function engine(): Promise<Cgroup2Engine> {
  ready ??= (async () => {
    const e = await ensureCgroup2Engine();
    console.log(`cgroup2 engine: ready in ${e.startSeconds.toFixed(1)} s`);
    for (const tag of tags) {
      // Built here (from Docker's build cache when nothing changed), as the other
      // portability tests do: the task needs no `deno task images` first.
      await ensureImage(tag);
      const s = await loadImage(e, tag);
      console.log(
        `cgroup2 engine: ${imageName(tag)} ${s ? `loaded in ${s.toFixed(1)} s` : "there"}`,
      );
    }
    return e;
  })();
  return ready;
}

Deno.test({
  name: "the nested engine reports cgroup version 2 and registers the same runtimes",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const e = await engine();
    const inner = await withEngine(e, () => info());
    assert.equal(inner.CgroupVersion, "2");
    // The harness picks --runtime csd-privileged from `docker info`: the inner engine
    // must have it exactly where the host's has it.
    const outer = await info();
    assert.equal("csd-privileged" in inner.Runtimes, "csd-privileged" in outer.Runtimes);
  },
});

async function info(): Promise<{ CgroupVersion: string; Runtimes: Record<string, unknown> }> {
  const r = await docker(["info", "--format", "{{json .}}"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const tag of tags) {
  for (const variant of VARIANTS) {
    Deno.test({
      name: `cgroup v2 host: boots, forwards, stops [debian-${tag}, ${variant.name}]`,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => withEngine(await engine(), () => bootForwardStop(tag, variant)),
    });
  }
}

for (const tag of tags) {
  Deno.test({
    name: `cgroup v2 host: the host's writable hierarchy without CAP_SYS_ADMIN stops with ` +
      `one line [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      // The old recipe's bind mount in the host's namespace, with Docker's default
      // capabilities: no namespace of its own can be made, so no systemd.
      const r = await withEngine(await engine(), () =>
        runToExit(tag, [
          "--cgroupns=host",
          "-v",
          "/sys/fs/cgroup:/sys/fs/cgroup:rw",
          ...RUN_TMPFS,
        ], { timeoutMs: 20_000 }));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(
        r.stdout + r.stderr,
        "systemd-bootstrap: /sys/fs/cgroup is the host's own writable cgroup2 (the container " +
          "shares the host's cgroup namespace) and making a namespace of its own needs " +
          "CAP_SYS_ADMIN: run with --cap-add SYS_ADMIN --cgroupns=private\n",
      );
    },
  });
}

Deno.test({
  name: "cgroup v2 host: doctor in place of the entrypoint names the namespace it will make " +
    `[debian-${tags[0]}, privileged --cgroupns=host]`,
  ignore: tags.length === 0,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const r = await withEngine(await engine(), async () => {
      const runtimes = await docker(["info", "-f", "{{json .Runtimes}}"]);
      return runToExit(tags[0]!, [
        "--privileged",
        ...(runtimes.stdout.includes('"csd-privileged"') ? ["--runtime", "csd-privileged"] : []),
        "--cgroupns=host",
        "--entrypoint",
        "/usr/bin/containering-systemd",
      ], { args: ["doctor"], timeoutMs: 30_000 });
    });
    const row = r.stdout.split("\n").find((l) => l.startsWith("cgroups "));
    assert.match(
      row ?? r.stdout + r.stderr,
      /^cgroups +ok +v2, host's cgroup namespace; \/sys\/fs\/cgroup is the host's own writable cgroup2 \(--cgroupns=host\): the bootstrap gives systemd a cgroup namespace of its own and mounts its subtree$/,
    );
  },
});

async function bootForwardStop(tag: ImageTag, variant: typeof VARIANTS[number]): Promise<void> {
  const t0 = performance.now();
  await using c = await Container.start(tag, {
    flags: variant.flags,
    dockerArgs: variant.extra,
    env: { JOURNALAGENT_OUTPUT: "cat" },
  });
  const booted = performance.now();
  try {
    // systemd's root is the container's own cgroup, and nothing of the host's tree is in
    // sight (with --cgroupns=host the bootstrap made a namespace for it).
    const root = await c.sh(
      "stat -f -c %T /sys/fs/cgroup; systemctl show -p ControlGroup --value init.scope",
    );
    const [fsType, initScope] = root.stdout.split("\n");
    assert.equal(fsType, "cgroup2fs", root.stdout + root.stderr);
    assert.equal(initScope, "/init.scope", "systemd's init.scope, from its own root");
    const host = await c.sh("test -e /sys/fs/cgroup/docker && ls /sys/fs/cgroup/docker | head -3");
    assert.notEqual(host.code, 0, `the host's /docker cgroups are visible: ${host.stdout}`);

    const word = `cgroup2-${crypto.randomUUID()}`;
    const logger = await c.exec(["logger", "-t", "csd-cgroup2", word]);
    assert.equal(logger.code, 0, logger.stderr);
    const logs = await c.waitForLogs((l) => l.stdout.includes(word), 10_000);
    assert.equal(
      logs.stdout.split("\n").filter((l) => l === word).length,
      1,
      "the logger line, exactly once",
    );

    const doctor = await c.exec(["containering-systemd", "doctor"]);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    const row = doctor.stdout.split("\n").find((l) => l.startsWith("cgroups "));
    assert.match(row ?? "", /^cgroups +ok +v2, /);
    if (variant.extra.includes("--cgroupns=host")) {
      assert.match(
        row ?? "",
        /host's own writable cgroup2 \(--cgroupns=host\): systemd runs in a cgroup namespace of its own that the bootstrap made$/,
      );
    }

    const stop = await c.stop();
    assert.equal(stop.exitCode, 0, "exit code after docker stop");
    assert.ok(stop.ms < 2000, `docker stop took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`);
    console.log(
      `debian-${tag}, ${variant.name}: running after ${Math.round(booted - t0)} ms, ` +
        `docker stop ${Math.round(stop.ms)} ms`,
    );
    const lines = (await c.logs()).stdout.trimEnd().split("\n");
    assert.equal(lines.at(-1), "Journal stopped", "journald's last line ends the log");
    assert.ok(lines.includes("Shutting down."), "PID 1's last message is in the log");
  } catch (e) {
    await c.printLogs();
    throw e;
  }
}
