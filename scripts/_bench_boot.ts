/**
 * What a container of the image costs at start and at rest (part of `deno task bench`, or
 * on its own: `deno run -A scripts/_bench_boot.ts [--images 12,13,sid] [--runs 7]
 * [--restarts 5] [--output docs/bench.md | --output -]`, which prints the tables and puts
 * them into docs/bench.md's "Boot" section; `-` writes nothing).
 *
 * In the same run, for each image:
 *
 * - **boot**: from `docker run -d` to `systemctl is-system-running` answering `running`
 *   (`docker exec` of `systemctl is-system-running --wait`, repeated every 30 ms while
 *   systemd does not run yet), for the image's entrypoint and for plain
 *   systemd (`--entrypoint /lib/systemd/systemd` with the argument
 *   `systemd.mask=journalagent.service`; on sid a shell first mounts the cgroup2 that
 *   systemd >= 258 needs on this host, as the bootstrap does), both with the minimal
 *   flags, one after the other, RUNS times; split into "before systemd" (the container's
 *   first process start to systemd's UserspaceTimestamp: the runtime's set-up, plus the
 *   bootstrap for the image) and "systemd" (UserspaceTimestamp to FinishTimestamp);
 * - **agent restart**: `systemctl kill -s KILL journalagent.service` in a booted
 *   container, RESTARTS times: from systemd starting the new process (its
 *   ExecMainStartTimestamp) to the first entry that process forwards (systemd's "Main
 *   process exited, code=killed" line of that kill) arriving in `docker logs` (Docker's
 *   receive time);
 * - **steady memory**: RSS and anonymous RSS of journald and the agent in an idle booted
 *   container, next to journald of plain systemd;
 * - **image size**: the layers the project adds over the base image plus systemd
 *   (`docker history`).
 *
 * Environment: CSD_IMAGE_REPO, CSD_CONTAINER_PREFIX (default "csd-bench").
 *
 * @module
 */
import { parseArgs } from "node:util";
import { docker, FLAG_SETS } from "../tests/harness.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";

/** One boot. */
export interface BootSample {
  /** `docker run` to `running`, in ms. */
  totalMs: number;
  /** The container's first process start to systemd's main(), in ms. */
  beforeSystemdMs: number;
  /** systemd's main() to the end of its start-up (FinishTimestamp), in ms. */
  systemdMs: number;
}

/** What one image's run measured. */
export interface BootResult {
  /** The image. */
  tag: ImageTag;
  /** Boots with the image's entrypoint. */
  product: BootSample[];
  /** Boots of plain systemd, agent masked. */
  plain: BootSample[];
  /** Agent restarts: ms from systemd starting the process to its first forwarded entry. */
  restartMs: number[];
  /** Steady RSS in KiB, by process ("journald", "agent", "journald (plain)"). */
  memory: { what: string; rssKiB: number; anonKiB: number }[];
  /** Bytes the project's layers add over the base image plus systemd. */
  addedBytes: number;
  /** The whole image, bytes. */
  imageBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function containerName(what: string): string {
  const prefix = Deno.env.get("CSD_CONTAINER_PREFIX") || "csd-bench";
  return `${prefix}-${what}-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `docker run` arguments after the flags for plain systemd with the agent masked. */
function plainArgs(tag: ImageTag): string[] {
  const mask = "systemd.mask=journalagent.service";
  if (tag !== "sid") return ["--entrypoint", "/lib/systemd/systemd", imageName(tag), mask];
  // systemd 262 refuses this host's hybrid cgroups: mount what the bootstrap would.
  return [
    "--entrypoint",
    "/bin/sh",
    imageName(tag),
    "-c",
    "umount -R /sys/fs/cgroup && mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup && " +
    `exec /lib/systemd/systemd ${mask}`,
  ];
}

async function waitRunning(name: string, deadline: number): Promise<void> {
  for (;;) {
    // --wait: answers when the boot ends, not at the next poll (a poll's `docker exec`
    // takes 50 to 100 ms here, which quantised the figure); before systemd runs it
    // answers at once ("offline") and is asked again.
    const s = (await docker(["exec", name, "systemctl", "is-system-running", "--wait"])).stdout
      .trim();
    if (s === "running") return;
    if (s === "degraded") throw new Error(`${name} booted degraded`);
    if (performance.now() > deadline) throw new Error(`${name} did not reach running`);
    await sleep(30);
  }
}

/** systemd's properties of the manager (or of `unit`), as numbers. */
async function show(name: string, props: string[], unit?: string): Promise<number[]> {
  const r = await docker([
    "exec",
    name,
    "systemctl",
    "show",
    ...props.flatMap((p) => ["-p", p]),
    ...(unit ? [unit] : []),
  ]);
  const values = new Map(
    r.stdout.trim().split("\n").map((l) => l.split("=", 2) as [string, string]),
  );
  return props.map((p) => Number(values.get(p)));
}

/**
 * Boots one container and measures it.
 *
 * @param tag The image.
 * @param plain Plain systemd instead of the image's entrypoint.
 * @returns The sample.
 * @throws {Error} If it does not reach `running` within 60 s.
 */
export async function measureBoot(tag: ImageTag, plain: boolean): Promise<BootSample> {
  const name = containerName(`boot-${tag}-${plain ? "plain" : "csd"}`);
  const args = plain ? plainArgs(tag) : [imageName(tag)];
  const t0 = performance.now();
  try {
    const r = await docker(["run", "-d", "--name", name, ...FLAG_SETS.minimal, ...args]);
    if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
    await waitRunning(name, t0 + 60_000);
    const totalMs = performance.now() - t0;
    const [userspace, finish] = await show(name, [
      "UserspaceTimestampMonotonic",
      "FinishTimestampMonotonic",
    ]);
    // The first process's start, in clock ticks since boot (proc(5), field 22); the
    // container shares the host's monotonic clock.
    const stat = (await docker(["exec", name, "cat", "/proc/1/stat"])).stdout;
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return {
      totalMs,
      beforeSystemdMs: userspace! / 1000 - ticks * 10,
      systemdMs: (finish! - userspace!) / 1000,
    };
  } catch (e) {
    console.error((await docker(["logs", name])).stdout.slice(-2000));
    throw e;
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
}

/** Docker's receive times (ms since the epoch) of the log lines that contain `text`. */
async function logTimes(name: string, text: string): Promise<number[]> {
  const r = await docker(["logs", "-t", name]);
  return (r.stdout + r.stderr).split("\n").filter((l) => l.includes(text)).map((l) =>
    Date.parse(l.slice(0, l.indexOf(" ")))
  );
}

/**
 * Kills the agent of a booted container `restarts` times and measures each restart.
 *
 * @param name The container.
 * @param restarts How many.
 * @returns ms from systemd starting each new agent to its first forwarded entry.
 * @throws {Error} If the agent does not come back or forward within 30 s.
 */
export async function measureRestarts(name: string, restarts: number): Promise<number[]> {
  const unit = "journalagent.service";
  const marker = "Main process exited, code=killed";
  const out: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const [pid] = await show(name, ["MainPID"], unit);
    await docker(["exec", name, "systemctl", "kill", "-s", "KILL", unit]);
    const deadline = performance.now() + 30_000;
    let start = 0;
    for (;;) {
      const [newPid, startMono] = await show(
        name,
        ["MainPID", "ExecMainStartTimestampMonotonic"],
        unit,
      );
      if (newPid! > 0 && newPid !== pid && startMono! > 0) {
        start = startMono!;
        break;
      }
      if (performance.now() > deadline) throw new Error(`${name}: the agent did not restart`);
      await sleep(20);
    }
    // CLOCK_MONOTONIC to the epoch: any journal entry carries both.
    const j = JSON.parse(
      (await docker(["exec", name, "journalctl", "-n", "1", "-o", "json"])).stdout,
    ) as { __REALTIME_TIMESTAMP: string; __MONOTONIC_TIMESTAMP: string };
    const offsetUs = Number(j.__REALTIME_TIMESTAMP) - Number(j.__MONOTONIC_TIMESTAMP);
    const execMs = (start + offsetUs) / 1000;
    for (;;) {
      const times = await logTimes(name, marker);
      if (times.length > i) {
        out.push(times[i]! - execMs);
        break;
      }
      if (performance.now() > deadline) throw new Error(`${name}: nothing forwarded`);
      await sleep(20);
    }
  }
  return out;
}

/** RSS and RssAnon (KiB) of the process `comm` in the container. */
async function rssOf(name: string, comm: string): Promise<{ rssKiB: number; anonKiB: number }> {
  const r = await docker([
    "exec",
    name,
    "sh",
    "-c",
    `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = ${comm} ] && ` +
    `grep -E '^(VmRSS|RssAnon):' $p/status; done`,
  ]);
  const kib = (field: string) =>
    [...r.stdout.matchAll(new RegExp(`^${field}:\\s+(\\d+)`, "gm"))].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
  return { rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon") };
}

/** Bytes of the image and of the layers after systemd's (the project's). */
async function imageSizes(tag: ImageTag): Promise<{ added: number; total: number }> {
  const r = await docker([
    "history",
    "--human=false",
    "--no-trunc",
    "--format",
    "{{.Size}}\t{{.CreatedBy}}",
    imageName(tag),
  ]);
  // Newest first: the project's layers until the one that installs systemd.
  let added = 0;
  for (const line of r.stdout.trim().split("\n")) {
    const [size, createdBy = ""] = line.split("\t");
    if (/apt-get install .*systemd systemd-sysv/.test(createdBy)) break;
    added += Number(size);
  }
  const total = Number(
    (await docker(["image", "inspect", "-f", "{{.Size}}", imageName(tag)])).stdout.trim(),
  );
  return { added, total };
}

/**
 * Measures one image: `runs` boots of each kind (alternating), then agent restarts and
 * steady memory in one more container, and plain systemd's journald.
 *
 * @param tag The image.
 * @param runs Boots of each kind.
 * @param restarts Agent restarts.
 * @returns The result.
 */
export async function measureImage(
  tag: ImageTag,
  runs: number,
  restarts: number,
): Promise<BootResult> {
  const product: BootSample[] = [];
  const plain: BootSample[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternating, so that the machine's load falls on both alike.
    product.push(await measureBoot(tag, false));
    plain.push(await measureBoot(tag, true));
    console.error(
      `bench: debian-${tag} boot ${i + 1}/${runs}: image ${
        product.at(-1)!.totalMs.toFixed(0)
      } ms, ` +
        `plain systemd ${plain.at(-1)!.totalMs.toFixed(0)} ms`,
    );
  }
  const memory: BootResult["memory"] = [];
  const name = containerName(`restart-${tag}`);
  let restartMs: number[] = [];
  try {
    const r = await docker(["run", "-d", "--name", name, ...FLAG_SETS.minimal, imageName(tag)]);
    if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
    await waitRunning(name, performance.now() + 60_000);
    await sleep(3000); // past the start: steady
    memory.push({ what: "journald", ...await rssOf(name, "systemd-journal") });
    // The agent's comm is "deno" (journalagent execs the runtime); journald's is cut to 15.
    memory.push({ what: "agent", ...await rssOf(name, "deno") });
    restartMs = await measureRestarts(name, restarts);
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
  const plainName = containerName(`plainmem-${tag}`);
  try {
    const r = await docker([
      "run",
      "-d",
      "--name",
      plainName,
      ...FLAG_SETS.minimal,
      ...plainArgs(tag),
    ]);
    if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
    await waitRunning(plainName, performance.now() + 60_000);
    await sleep(3000);
    memory.push({ what: "journald (plain systemd)", ...await rssOf(plainName, "systemd-journal") });
  } finally {
    await docker(["rm", "-f", "-v", plainName]);
  }
  const sizes = await imageSizes(tag);
  return {
    tag,
    product,
    plain,
    restartMs,
    memory,
    addedBytes: sizes.added,
    imageBytes: sizes.total,
  };
}

const ms = (x: number) => x.toFixed(0);
const spread = (xs: number[]) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`;

/** The Markdown of one image's result. */
export function bootTable(r: BootResult): string {
  const col = (xs: BootSample[], k: keyof BootSample) => xs.map((s) => s[k]);
  const row = (what: string, xs: BootSample[]) =>
    `| ${what} | ${xs.length} | **${ms(median(col(xs, "totalMs")))}** | ${
      spread(col(xs, "totalMs"))
    } | ${ms(median(col(xs, "beforeSystemdMs")))} | ${ms(median(col(xs, "systemdMs")))} |`;
  const overhead = median(col(r.product, "totalMs")) - median(col(r.plain, "totalMs"));
  const mib = (k: number) => (k / 1024).toFixed(1);
  return [
    "| boot (`docker run` to `running`) | boots | median (ms) | spread (ms) | before systemd, median (ms) | systemd, median (ms) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row("image's entrypoint", r.product),
    row("plain systemd, agent masked", r.plain),
    "",
    `Boot overhead (median minus median): **${ms(overhead)} ms** (target: at most 150 ms).`,
    "",
    ...(r.restartMs.length === 0 ? [] : [
      `Agent restart (systemd starts the process → its first entry in \`docker logs\`), ${r.restartMs.length} kills: median ${
        ms(median(r.restartMs))
      } ms, ${spread(r.restartMs)} ms.`,
      "",
    ]),
    "| steady, idle container | RSS (MiB) | anon RSS (MiB) |",
    "| --- | ---: | ---: |",
    ...r.memory.map((m) => `| ${m.what} | ${mib(m.rssKiB)} | ${mib(m.anonKiB)} |`),
    "",
    `Image: ${(r.imageBytes / 1e6).toFixed(1)} MB, of which ${
      (r.addedBytes / 1e6).toFixed(1)
    } MB are the project's layers over the base image plus systemd (the Deno runtime about 96 MB of it).`,
  ].join("\n");
}

const SECTION = "## Boot";

/** Replaces (or appends) the section `title` of a Markdown document with `body`. */
export function spliceBootSection(doc: string, body: string, title = SECTION): string {
  const start = doc.indexOf(`${title}\n`);
  const head = start >= 0 ? doc.slice(0, start) : doc.trimEnd() + "\n\n";
  const rest = start >= 0 ? doc.slice(start + title.length) : "";
  const next = rest.search(/\n## /);
  const tail = next >= 0 ? rest.slice(next + 1) : "";
  return `${head}${title}\n\n${body.trimEnd()}\n${tail ? `\n${tail}` : ""}`;
}

/** The section's text: how it was measured, then each image. */
export function bootSection(results: BootResult[], when: string, load: string): string {
  return [
    `Written by \`deno run -A scripts/_bench_boot.ts\` (also part of \`deno task bench\`) on ${when} UTC, load average ${load} (a shared, loaded machine: compare the two rows of one run, not runs). Minimal flags (${
      FLAG_SETS.minimal.join(" ")
    }). Each boot: \`docker run -d\` until \`systemctl is-system-running\` (\`docker exec\` of \`systemctl is-system-running --wait\`, again every 30 ms until systemd answers) says \`running\`, the image's entrypoint and plain systemd alternating. "Before systemd": from the container's first process start to systemd's UserspaceTimestamp (the runtime's set-up, plus for the image the bootstrap); "systemd": UserspaceTimestamp to FinishTimestamp (for the image the boot also waits for the agent's readiness). Plain systemd: \`--entrypoint /lib/systemd/systemd\` and \`systemd.mask=journalagent.service\` (on sid after mounting the cgroup2 systemd 262 needs on this hybrid host).`,
    "",
    ...results.flatMap((r) => [`### debian-${r.tag}`, "", bootTable(r), ""]),
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: "string", default: IMAGE_TAGS.join(",") },
      runs: { type: "string", default: "7" },
      restarts: { type: "string", default: "5" },
      output: { type: "string", default: "docs/bench.md" },
    },
  });
  const runs = Number(values.runs);
  const restarts = Number(values.restarts);
  const tags = values.images.split(",").map((t) => t.trim()) as ImageTag[];
  if (
    !(runs >= 1) || !(restarts >= 0) ||
    tags.some((t) => !(IMAGE_TAGS as readonly string[]).includes(t))
  ) {
    console.error(
      "usage: deno run -A scripts/_bench_boot.ts [--images 12,13,sid] [--runs 7] " +
        "[--restarts 5] [--output docs/bench.md|-]",
    );
    Deno.exit(1);
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const results: BootResult[] = [];
  for (const tag of tags) {
    results.push(await measureImage(tag, runs, restarts));
    console.log(`\n### debian-${tag}\n\n${bootTable(results.at(-1)!)}`);
  }
  if (values.output === "-") return;
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const path = new URL(`../${values.output}`, import.meta.url).pathname;
  const doc = spliceBootSection(await Deno.readTextFile(path), bootSection(results, when, load));
  await Deno.writeTextFile(path, doc);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
}

if (import.meta.main) await main();
