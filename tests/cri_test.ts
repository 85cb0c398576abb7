/**
 * The Pod of docs/kubernetes.md through containerd's CRI plugin, driven the way the
 * kubelet drives it (tests/_cri.ts): `kubectl logs` sees the forwarded journal in the CRI
 * log file, exec probes work, env reaches root services, the memory limit is set, and
 * StopContainer with the grace period halts systemd with exit code 0. Then the stop
 * signal: the image's `STOPSIGNAL SIGRTMIN+3`, the number 37, and SIGTERM with and
 * without the docs' preStop hook. And the hardened Pod of docs/hardening.md (dropped
 * capabilities, a read-only root) boots to "running" and forwards.
 *
 * containerd is the project's own (scripts/ensure_containerd.sh); the tests skip only
 * where it cannot be installed.
 */
import assert from "node:assert/strict";
import {
  CriClient,
  type CriSetup,
  ensureContainerd,
  joinCriLog,
  parseCriLog,
  Pod,
} from "./_cri.ts";
import { dockerBinary, imageName, type ImageTag, testImageTags } from "./images.ts";
import { hardenedPod } from "./_hardened_pod.ts";

const list = (env: string) => Deno.env.get(env)?.split(",").map((s) => s.trim());
const TAGS = testImageTags();
/** containerd 1 (the host's, 1.6 on Debian 12) and 2 (Debian sid's); CSD_TEST_CONTAINERD picks. */
const MAJORS = (["1", "2"] as const).filter((m) =>
  list("CSD_TEST_CONTAINERD")?.includes(m) ?? true
);
const SETUPS: [string, CriSetup][] = [];
for (const major of MAJORS) {
  const setup = await ensureContainerd(major);
  if (setup.skip) console.error(`cri_test: skipping the containerd ${major} tests: ${setup.skip}`);
  else {
    const client = new CriClient(setup);
    const n = await client.removeStalePods();
    if (n) console.error(`cri_test: removed ${n} Pods left by killed test runs`);
    client.close();
  }
  SETUPS.push([major, setup]);
}

/** The docs' Pod env, plus readable log lines with errors on stderr. */
const ENV = {
  APP_MODE: "production",
  JOURNALAGENT_OUTPUT: "cat",
  JOURNALAGENT_STDERR_PRIORITY: "err",
};
const MEMORY_LIMIT = 512 * 1024 * 1024;
/** A line of 102,893 bytes: "1,2,3,...,19000". */
const LONG_LINE = Array.from({ length: 19_000 }, (_, i) => i + 1).join(",");
/** containerd's max_container_log_line_size (scripts/ensure_containerd.sh). */
const MAX_RECORD = 16_384;

/** Registers a test that gets a CRI client and closes it; ignored when CRI cannot run. */
function criTest(
  setup: CriSetup,
  name: string,
  fn: (client: CriClient, version: string) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !setup.socket,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const client = new CriClient(setup);
      try {
        const v = await client.call<{ runtime_version: string }>("Version", {});
        await fn(client, `containerd ${v.runtime_version}`);
      } finally {
        client.close();
      }
    },
  });
}

/**
 * Runs `fn` with a Pod; its CRI log is printed when `fn` throws. `seccomp` is the Pod's
 * seccompProfile: RuntimeDefault (the docs' manifest, and what the kubelet's
 * `seccompDefault: true` gives) or none (the kubelet's default: unconfined).
 */
async function withPod(
  client: CriClient,
  image: string,
  seccomp: "RuntimeDefault" | undefined,
  fn: (pod: Pod) => Promise<void>,
): Promise<void> {
  await using pod = await Pod.run(client, { image, env: ENV, memoryLimit: MEMORY_LIMIT, seccomp });
  try {
    await fn(pod);
  } catch (e) {
    await pod.printLog();
    console.error(`status: ${JSON.stringify(await pod.status().catch((e) => String(e)))}`);
    throw e;
  }
}

/** The startup probe: `containering-systemd health` every 100 ms until it succeeds. */
async function waitHealthy(pod: Pod): Promise<void> {
  await pod.waitFor(
    "containering-systemd health succeeds (the startup probe)",
    async () => (await pod.exec(["containering-systemd", "health"], 10)).code === 0,
  );
}

/** The host's memory limit of the container's cgroup (cgroup v1 memory or v2 memory.max). */
async function hostMemoryLimit(pid: number): Promise<number> {
  const lines = (await Deno.readTextFile(`/proc/${pid}/cgroup`)).split("\n");
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const path = v1.split(":")[2];
    return Number(await Deno.readTextFile(`/sys/fs/cgroup/memory${path}/memory.limit_in_bytes`));
  }
  const v2 = lines.find((l) => l.startsWith("0::"))!.slice(3);
  return Number(await Deno.readTextFile(`/sys/fs/cgroup${v2}/memory.max`));
}

/** The Pod of the docs on `tag`: probes, env, memory limit, logs, the stop. */
function podChecks(client: CriClient, version: string, tag: ImageTag): Promise<void> {
  return withPod(client, imageName(tag), "RuntimeDefault", async (pod) => {
    await waitHealthy(pod);

    // Probes: degraded fails `health`, not `health --degraded` (the liveness probe).
    const fail = await pod.exec(["systemd-run", "--unit", "csd-cri-fail", "/bin/false"]);
    assert.equal(fail.code, 0, fail.stderr);
    await pod.waitFor(
      "the system is degraded",
      async () => (await pod.exec(["systemctl", "is-system-running"])).stdout.trim() === "degraded",
    );
    assert.notEqual((await pod.exec(["containering-systemd", "health"])).code, 0);
    assert.equal((await pod.exec(["containering-systemd", "health", "--degraded"])).code, 0);
    assert.equal((await pod.exec(["systemctl", "reset-failed"])).code, 0);

    // env reaches the image's root services. Type=exec: `systemctl start` returns once
    // sleep runs, not while the forked child (systemd-executor on 255+) has yet to exec.
    const unit = await pod.exec([
      "sh",
      "-c",
      `
        printf '[Service]\\nType=exec\\nExecStart=/bin/sleep 600\\n' >/etc/systemd/system/csd-env-root.service
        systemctl daemon-reload && systemctl start csd-env-root
        cat /proc/$(systemctl show -p MainPID --value csd-env-root)/environ`,
    ]);
    assert.equal(unit.code, 0, unit.stderr);
    assert.ok(unit.stdout.split("\0").includes("APP_MODE=production"), unit.stdout);

    // The memory limit, as the host's cgroup has it.
    const { pid } = await pod.status();
    assert.ok(pid > 0, "containerd reports the container's PID");
    assert.equal(await hostMemoryLimit(pid), MEMORY_LIMIT);

    // kubectl logs: journal lines on stdout, err on stderr, a 100 KB line in P records.
    const write = await pod.exec([
      "sh",
      "-c",
      `
        logger -t csd-cri 'cri stdout line'
        logger -p user.err -t csd-cri 'cri stderr line'
        { echo SYSLOG_IDENTIFIER=csd-cri; echo "MESSAGE=$(seq -s, 1 19000)"; } | logger --journald
        logger -t csd-cri 'cri end'`,
    ]);
    assert.equal(write.code, 0, write.stderr);
    await pod.waitFor(
      "the last line reaches the CRI log",
      async () => /^\S+ stdout F cri end$/m.test(await pod.log()),
    );
    const records = parseCriLog(await pod.log());
    const lines = joinCriLog(records);
    const count = (stream: string, text: string) =>
      lines.filter((l) => l.stream === stream && l.text === text).length;
    assert.equal(count("stdout", "cri stdout line"), 1);
    assert.equal(count("stderr", "cri stderr line"), 1);
    assert.equal(count("stdout", "cri stderr line"), 0);
    // containerd's default seccomp profile refuses pidfd_getfd: the agent uses /proc.
    assert.ok(
      lines.some((l) =>
        l.stream === "stdout" &&
        /^Forwarding the journal from the start of the boot \(.*, taken with proc;/.test(l.text)
      ),
      "the agent's first line is in the log",
    );
    const long = lines.filter((l) => l.text === LONG_LINE);
    assert.equal(long.length, 1, "the 100 KB line joins back exactly once");
    assert.equal(long[0]!.records, Math.ceil(LONG_LINE.length / MAX_RECORD));
    const longRecords = records.filter((r) => LONG_LINE.includes(r.text) && r.text.length > 1000);
    assert.deepEqual(
      longRecords.map((r) => r.tag).join(""),
      "P".repeat(long[0]!.records - 1) + "F",
    );

    // The stop: StopContainer with terminationGracePeriodSeconds 30.
    const stop = await pod.stop(30);
    console.log(
      `cri_test: ${version}, debian-${tag}: StopContainer took ${
        stop.ms.toFixed(0)
      } ms, exit ${stop.exitCode}`,
    );
    assert.equal(stop.exitCode, 0);
    assert.ok(stop.ms < 2000, `StopContainer took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`);
    const after = joinCriLog(parseCriLog(await pod.log())).map((l) => l.text);
    assert.ok(
      after.indexOf("Journal stopped") > after.indexOf("Shutting down."),
      "journald's last line",
    );
  });
}

/** Builds `${image}-<suffix>`: the image with another STOPSIGNAL. */
async function variant(image: string, suffix: string, signal: string): Promise<string> {
  const name = `${image}-${suffix}`;
  const cmd = new Deno.Command(dockerBinary(), {
    args: ["build", "-q", "-t", name, "-"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const w = cmd.stdin.getWriter();
  await w.write(new TextEncoder().encode(`FROM ${image}\nSTOPSIGNAL ${signal}\n`));
  await w.close();
  const out = await cmd.output();
  if (!out.success) {
    throw new Error(`docker build of "${name}" failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return name;
}

/** STOPSIGNAL 37, and SIGTERM with and without the docs' preStop hook, on `tag`. */
async function signalChecks(client: CriClient, version: string, tag: ImageTag): Promise<void> {
  const image = imageName(tag);
  const numeric = await variant(image, "stop37", "37");
  const term = await variant(image, "stopterm", "SIGTERM");

  await withPod(client, numeric, undefined, async (pod) => {
    await waitHealthy(pod);
    const stop = await pod.stop(30);
    console.log(
      `cri_test: ${version}: STOPSIGNAL 37: StopContainer took ${
        stop.ms.toFixed(0)
      } ms, exit ${stop.exitCode}`,
    );
    assert.equal(stop.exitCode, 0);
    assert.ok(stop.ms < 2000, `StopContainer took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`);
    // No seccomp profile (the kubelet's default): pidfd_getfd is allowed.
    const log = await pod.log();
    assert.match(log, / stdout F Forwarding the journal .*, taken with pidfd_getfd;/);
    assert.match(log, / stdout F Journal stopped$/m);
  });

  // SIGTERM alone: systemd re-executes and keeps running; the grace period (3 s here,
  // 30 s in the docs) ends with SIGKILL: exit 137, no "Journal stopped".
  await withPod(client, term, undefined, async (pod) => {
    await waitHealthy(pod);
    const stop = await pod.stop(3);
    console.log(
      `cri_test: ${version}: STOPSIGNAL SIGTERM, no preStop: StopContainer took ${
        stop.ms.toFixed(0)
      } ms, exit ${stop.exitCode}`,
    );
    assert.equal(stop.exitCode, 137);
    assert.ok(stop.ms >= 3000, `the whole grace period passed (${stop.ms.toFixed(0)} ms)`);
    assert.doesNotMatch(await pod.log(), / F Journal stopped$/m);
  });

  // SIGTERM with the docs' preStop hook: the kubelet runs it, then StopContainer.
  await withPod(client, term, undefined, async (pod) => {
    await waitHealthy(pod);
    const t0 = performance.now();
    const hook = await pod.exec(["systemctl", "halt", "--no-block"]);
    assert.equal(hook.code, 0, hook.stderr);
    const stop = await pod.stop(30);
    const ms = performance.now() - t0;
    console.log(
      `cri_test: ${version}: STOPSIGNAL SIGTERM + preStop: hook and StopContainer took ${
        ms.toFixed(0)
      } ms, exit ${stop.exitCode}`,
    );
    assert.equal(stop.exitCode, 0);
    assert.ok(ms < 2000, `preStop and StopContainer took ${ms.toFixed(0)} ms (limit 2000 ms)`);
    assert.match(await pod.log(), / F Journal stopped$/m);
  });
}

for (const [major, setup] of SETUPS) {
  for (const tag of TAGS) {
    criTest(
      setup,
      `the Pod of docs/kubernetes.md runs through containerd's CRI [debian-${tag}, containerd ${major}]`,
      (client, version) => podChecks(client, version, tag),
    );
  }
  // The stop signal is containerd's business (the image's STOPSIGNAL, parsed by it): one
  // image shows it; 37 is SIGRTMIN+3 on Linux with glibc (SIGRTMIN is 34).
  const tag = TAGS[0];
  if (tag) {
    criTest(
      setup,
      `StopContainer sends STOPSIGNAL 37 and SIGTERM needs the preStop hook [debian-${tag}, containerd ${major}]`,
      (client, version) => signalChecks(client, version, tag),
    );
  }
}

for (const [major, setup] of SETUPS) {
  const tag = TAGS[0];
  if (!tag) break;
  criTest(
    setup,
    `the hardened Pod of docs/hardening.md boots to running and forwards [debian-${tag}, containerd ${major}]`,
    async (client) => {
      const md = await Deno.readTextFile(new URL("../docs/hardening.md", import.meta.url));
      const doc = hardenedPod(md);
      const c = doc.spec.containers[0]!;
      const memory = new Set(
        doc.spec.volumes.filter((v) => v.emptyDir?.medium === "Memory").map((v) => v.name),
      );
      await using pod = await Pod.run(client, {
        image: imageName(tag),
        seccomp: "RuntimeDefault",
        capabilities: c.securityContext.capabilities,
        readOnlyRootFilesystem: c.securityContext.readOnlyRootFilesystem,
        memoryVolumes: c.volumeMounts.filter((m) => memory.has(m.name)).map((m) => m.mountPath),
      });
      try {
        await pod.waitFor(
          "systemd reports running",
          async () =>
            (await pod.exec(["systemctl", "is-system-running", "--wait"], 20)).stdout.trim() ===
              "running",
        );
        // The settings took: a read-only root, only the recipe's capabilities.
        const probe = await pod.exec([
          "sh",
          "-c",
          "touch /csd-ro-probe; grep CapEff /proc/1/status",
        ]);
        assert.match(probe.stderr, /Read-only file system/, JSON.stringify(probe));
        assert.match(probe.stdout, /^CapEff:\s+00000000002401c3$/m);
        const marker = `csd-cri-hardened-${pod.name}`;
        assert.equal((await pod.exec(["logger", marker])).code, 0);
        await pod.waitFor(
          "the marker reaches the CRI log",
          async () => (await pod.log()).includes(marker),
        );
      } catch (e) {
        await pod.printLog();
        throw e;
      }
    },
  );
}
