/**
 * What the image's `HEALTHCHECK` costs an idle container (part of `deno task bench`, or
 * on its own: `deno run -A scripts/_bench_health.ts [--image 12] [--containers 4]
 * [--seconds 180]`, which prints the table).
 *
 * In the same run, one after the other: CONTAINERS booted containers of the image with
 * its check, then as many with `--no-healthcheck` (the baseline), each set measured over
 * SECONDS once every container has answered its first check and is into the held ones
 * (docs/bootstrap.md, "Health"). Counted, over the window:
 *
 * - **engine**: the CPU time of dockerd, containerd and the containerd shims, with the
 *   processes they reaped (runc), from `/proc/PID/stat` (utime, stime, cutime, cstime;
 *   proc(5));
 * - **containers**: the containers' cgroups (`cpuacct.usage` on cgroup v1,
 *   `cpu.stat` `usage_usec` on v2; the kernel's cgroup-v1 cpuacct.rst and cgroup-v2.rst),
 *   which hold PID 1, journald, the agent and each check's processes;
 * - **checks**: the checks Docker ended in the window (`docker inspect`,
 *   `.State.Health.Log`, which keeps the last five).
 *
 * The engine's figures include whatever else the engine does meanwhile: run it on an
 * otherwise idle engine.
 *
 * Environment: CSD_IMAGE_REPO, CSD_CONTAINER_PREFIX (default "csd-bench").
 *
 * @module
 */
import { parseArgs } from "node:util";
import { docker, FLAG_SETS } from "../tests/harness.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";

/** CPU over one window, in ms. */
export interface CpuWindow {
  /** dockerd, containerd, the shims and the processes they reaped. */
  engineMs: number;
  /** The containers' cgroups together. */
  containersMs: number;
  /** Health checks that ended in the window, all containers together. */
  checks: number;
}

/** What one run measured. */
export interface HealthResult {
  /** The image. */
  tag: ImageTag;
  /** Containers in each set. */
  containers: number;
  /** The window, in s. */
  seconds: number;
  /** The containers with the image's check. */
  withCheck: CpuWindow;
  /** The same with `--no-healthcheck`. */
  without: CpuWindow;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_S = 100; // USER_HZ on Linux (proc(5), sysconf(_SC_CLK_TCK)).

/** The PIDs whose command line starts with one of `names` (dockerd, containerd, shims). */
function enginePids(): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    let cmd: string;
    try {
      cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0")[0] ?? "";
    } catch {
      continue; // ended meanwhile
    }
    const base = cmd.slice(cmd.lastIndexOf("/") + 1);
    if (base === "dockerd" || base === "containerd" || base.startsWith("containerd-shim")) {
      pids.push(Number(e.name));
    }
  }
  return pids;
}

/**
 * A process's CPU time with that of the children it reaped, in ms: utime + stime +
 * cutime + cstime, fields 14 to 17 of /proc/PID/stat (proc(5)), in USER_HZ ticks (100).
 *
 * @param stat The text of /proc/PID/stat.
 * @returns The sum in ms (fields missing count as 0).
 */
export function processCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): fields 14..17 are at 11..14.
  const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i] ?? 0), 0);
  return (ticks * 1000) / TICKS_PER_S;
}

function engineCpuMs(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of pids) {
    try {
      m.set(p, processCpuMs(Deno.readTextFileSync(`/proc/${p}/stat`)));
    } catch {
      // ended
    }
  }
  return m;
}

/** The CPU time of a container's cgroup in ms, on cgroup v1 or v2 (Docker's layouts). */
function cgroupCpuMs(id: string): number {
  try {
    return Number(Deno.readTextFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`)) /
      1e6;
  } catch { /* not cgroup v1: try v2 */ }
  for (
    const p of [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, `/sys/fs/cgroup/docker/${id}`]
  ) {
    try {
      const line = Deno.readTextFileSync(`${p}/cpu.stat`).split("\n")
        .find((l) => l.startsWith("usage_usec "));
      if (line) return Number(line.split(" ")[1]) / 1000;
    } catch { /* next */ }
  }
  throw new Error(`no CPU accounting found for container ${id.slice(0, 12)}`);
}

async function inspect(name: string, format: string): Promise<string> {
  const r = await docker(["inspect", "-f", format, name]);
  if (r.code !== 0) throw new Error(`docker inspect ${name}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Ends (ms since the epoch) of the checks Docker still lists for `name`. */
async function checkEnds(name: string): Promise<number[]> {
  const out = await inspect(name, "{{range .State.Health.Log}}{{.End.UnixNano}} {{end}}");
  return out.split(" ").filter(Boolean).map((ns) => Number(BigInt(ns) / 1_000_000n));
}

async function measureSet(
  tag: ImageTag,
  n: number,
  seconds: number,
  check: boolean,
): Promise<CpuWindow> {
  const prefix = Deno.env.get("CSD_CONTAINER_PREFIX") || "csd-bench";
  const names = Array.from(
    { length: n },
    (_, i) => `${prefix}-health-${check ? "on" : "off"}-${Deno.pid}-${i}`,
  );
  try {
    for (const name of names) {
      const r = await docker([
        "run",
        "-d",
        "--name",
        name,
        ...(check ? [] : ["--no-healthcheck"]),
        ...FLAG_SETS.minimal,
        imageName(tag),
      ]);
      if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
    }
    // Every container booted and (with the check) past its first, answering check.
    const deadline = Date.now() + 120_000;
    for (const name of names) {
      for (;;) {
        const state = check
          ? await inspect(name, "{{.State.Health.Status}}")
          : (await docker(["exec", name, "systemctl", "is-system-running"])).stdout.trim();
        if (state === "healthy" || state === "running") break;
        if (Date.now() > deadline) throw new Error(`${name} stayed ${state}`);
        await sleep(300);
      }
    }
    await sleep(5_000); // the boot's own work settles; the second check is holding
    const ids = await Promise.all(names.map((n) => inspect(n, "{{.Id}}")));
    const pids = enginePids();
    const e0 = engineCpuMs(pids);
    const c0 = ids.map(cgroupCpuMs);
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const t1 = Date.now();
    const e1 = engineCpuMs(pids);
    const c1 = ids.map(cgroupCpuMs);
    let engineMs = 0;
    for (const [p, v] of e1) engineMs += v - (e0.get(p) ?? v);
    const containersMs = c1.reduce((s, v, i) => s + v - c0[i]!, 0);
    let checks = 0;
    if (check) {
      for (const name of names) {
        checks += (await checkEnds(name)).filter((t) => t > t0 && t <= t1).length;
      }
    }
    return { engineMs, containersMs, checks };
  } finally {
    await docker(["rm", "-f", ...names]);
  }
}

/**
 * Measures the check's idle cost: a set of containers with it, then one without.
 *
 * @param tag The image.
 * @param containers Containers in each set (more gives the engine's share more signal).
 * @param seconds The window, in s (at most 240: Docker lists only the last 5 checks).
 * @returns Both windows.
 * @throws {Error} If a container does not start, boot or turn healthy within 120 s, or
 *   the host shows no CPU accounting for it.
 */
export async function measureHealth(
  tag: ImageTag,
  containers: number,
  seconds: number,
): Promise<HealthResult> {
  if (seconds > 240) throw new Error("--seconds: at most 240 (Docker keeps 5 checks)");
  const withCheck = await measureSet(tag, containers, seconds, true);
  const without = await measureSet(tag, containers, seconds, false);
  return { tag, containers, seconds, withCheck, without };
}

/**
 * The result as a Markdown table: both windows, and what the checks cost per container
 * in percent of one core and per check in ms.
 *
 * @param r A run's result.
 * @returns The table and one line of summary.
 */
export function healthTable(r: HealthResult): string {
  const pct = (ms: number) => `${((ms / (r.seconds * 1000)) * 100 / r.containers).toFixed(3)} %`;
  const de = r.withCheck.engineMs - r.without.engineMs;
  const dc = r.withCheck.containersMs - r.without.containersMs;
  const row = (what: string, w: CpuWindow) =>
    `| ${what} | ${w.engineMs.toFixed(0)} | ${w.containersMs.toFixed(0)} | ` +
    `${(w.engineMs + w.containersMs).toFixed(0)} |`;
  const perCheck = r.withCheck.checks ? ((de + dc) / r.withCheck.checks).toFixed(0) : "n/a";
  return [
    `debian-${r.tag}: ${r.containers} containers per set, ${r.seconds} s window, ` +
    `${r.withCheck.checks} checks ended in it.`,
    "",
    "| set | engine (ms) | containers' cgroups (ms) | all (ms) |",
    "| --- | ---: | ---: | ---: |",
    row("`--no-healthcheck`", r.without),
    row("the image's check", r.withCheck),
    `| the checks, per container, % of a core | ${pct(de)} | ${pct(dc)} | **${pct(de + dc)}** |`,
    "",
    `CPU per check, all in: ${perCheck} ms.`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      image: { type: "string", default: "12" },
      containers: { type: "string", default: "4" },
      seconds: { type: "string", default: "180" },
    },
  });
  const tag = values.image as ImageTag;
  if (!(IMAGE_TAGS as readonly string[]).includes(tag)) {
    console.error(`_bench_health: unknown image "${tag}": use ${IMAGE_TAGS.join(", ")}`);
    Deno.exit(2);
  }
  const n = Number(values.containers);
  const s = Number(values.seconds);
  if (!(n >= 1 && s >= 30)) {
    console.error("_bench_health: --containers must be >= 1 and --seconds >= 30");
    Deno.exit(2);
  }
  console.log(healthTable(await measureHealth(tag, n, s)));
}
