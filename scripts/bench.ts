/**
 * `deno task bench`: the journal read path's benchmark, in a real container of each
 * image. Writes ENTRIES entries of about SIZE bytes over journald's native protocol,
 * then measures in the same run:
 *
 * - the baseline: `journalctl -o json --all` and `journalctl -o short-iso --all`;
 * - the agent's EntryReader in every output format;
 *
 * each once with its output on /dev/null and once into a pipe that a reader drains:
 * entries/s, wall time, peak RSS and (for the agent) anonymous RSS. Prints a Markdown
 * table per image and writes all of them to docs/bench.md with the date, the machine
 * (nproc, kernel) and the systemd versions.
 *
 * Usage: deno task bench [--images 12,13,sid] [--entries 200000] [--size 100]
 *        [--output docs/bench.md]
 * Environment: CSD_IMAGE_REPO (image repository), CSD_BENCH_IMAGES (default images),
 * CSD_CONTAINER_PREFIX (container name prefix, default "csd-bench"), DOCKER.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { docker, FLAG_SETS } from "../tests/harness.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = "/usr/lib/containering-systemd/deno";
const FORMATS = ["json", "short-iso", "short-precise", "cat", "logfmt", "collector"] as const;

/** One measured row. */
interface Row {
  what: string;
  sink: "null" | "pipe";
  entries: number;
  seconds: number;
  wall: number;
  peakRssKiB: number;
  anonRssKiB?: number;
}

/** The result of one image's run. */
interface ImageResult {
  tag: ImageTag;
  systemd: string;
  writer: { written: number; perSecond: number };
  rows: Row[];
}

async function run(cmd: string[], what: string): Promise<string> {
  const r = await docker(cmd, { timeoutMs: 600_000 });
  if (r.code !== 0) {
    throw new Error(`${what} failed (exit code ${r.code}): ${r.stderr.trim().slice(-2000)}`);
  }
  return r.stdout;
}

async function bundle(dir: string): Promise<string> {
  const out = `${dir}/bench.js`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", out, "scripts/_bench_inside.ts"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`deno bundle failed (exit code ${r.code})`);
  return out;
}

async function benchImage(
  tag: ImageTag,
  bundlePath: string,
  entries: number,
  size: number,
): Promise<ImageResult> {
  const prefix = Deno.env.get("CSD_CONTAINER_PREFIX") || "csd-bench";
  const name = `${prefix}-${tag}-${Deno.pid}`;
  await run(["run", "-d", "--name", name, ...FLAG_SETS.minimal, imageName(tag)], "docker run");
  try {
    const exec = (cmd: string[], what: string) => run(["exec", name, ...cmd], what);
    const deadline = Date.now() + 60_000;
    while (
      !(await docker(["exec", name, "systemctl", "is-system-running", "--wait"])).stdout.match(
        /running|degraded/,
      )
    ) {
      if (Date.now() > deadline) throw new Error(`${name} did not boot`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The agent's own service would read (and forward) the same entries meanwhile.
    await docker(["exec", name, "systemctl", "stop", "journalagent.service"]);
    await run(["cp", bundlePath, `${name}:/var/lib/csd-bench.js`], "docker cp");
    const systemd = (await exec(["journalctl", "--version"], "journalctl --version"))
      .split("\n")[0]!.replace(/^systemd /, "");
    const js = [DENO, "run", "-A", "--no-config", "--cached-only", "/var/lib/csd-bench.js"];

    const writer = JSON.parse(
      await exec([...js, "write", String(entries), String(size)], "the writer"),
    );
    console.error(
      `bench: debian-${tag} (systemd ${systemd}): wrote ${entries} entries at ${
        Math.round(writer.perSecond)
      }/s`,
    );
    // journald stores asynchronously: wait until the last entry is readable.
    const last = String(entries - 1).padStart(10, " ");
    for (;;) {
      const tail = await exec(["journalctl", "-o", "cat", "-n", "1", "-t", "csd-bench"], "tail");
      if (tail.startsWith(last)) break;
      if (Date.now() > deadline + 120_000) throw new Error("the entries did not arrive");
      await new Promise((r) => setTimeout(r, 200));
    }

    const rows: Row[] = [];
    const baseline: Row[] = [];
    let total = 0;
    const measure = async (what: string, sink: "null" | "pipe", cmd: string[]) => {
      const m = JSON.parse(await exec([...js, "measure", sink, "--", ...cmd], what));
      if (m.code !== 0) throw new Error(`${what} failed (exit code ${m.code}): ${m.stderr}`);
      return m;
    };
    for (const format of FORMATS) {
      for (const sink of ["null", "pipe"] as const) {
        const m = await measure(`reader ${format}`, sink, [...js, "read", format]);
        const stats = JSON.parse(m.stderr.trim().split("\n").at(-1));
        total = stats.entries;
        rows.push({
          what: `agent ${format}`,
          sink,
          entries: stats.entries,
          seconds: stats.seconds,
          wall: m.seconds,
          peakRssKiB: stats.peakRssKiB,
          anonRssKiB: stats.anonRssKiB,
        });
        console.error(`bench: debian-${tag}: agent ${format} > ${sink}: ${rate(rows.at(-1)!)}/s`);
      }
    }
    for (const format of ["json", "short-iso"]) {
      for (const sink of ["null", "pipe"] as const) {
        const m = await measure(`journalctl -o ${format}`, sink, [
          "journalctl",
          "-o",
          format,
          "--all",
          "--no-pager",
        ]);
        baseline.push({
          what: `journalctl -o ${format} --all`,
          sink,
          entries: total,
          seconds: m.seconds,
          wall: m.seconds,
          peakRssKiB: m.maxRssKiB,
        });
        console.error(
          `bench: debian-${tag}: journalctl -o ${format} > ${sink}: ${rate(baseline.at(-1)!)}/s`,
        );
      }
    }
    return { tag, systemd, writer, rows: [...baseline, ...rows] };
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
}

function rate(r: Row): number {
  return Math.round(r.entries / r.seconds);
}

const mib = (kib: number | undefined) => kib === undefined ? "" : (kib / 1024).toFixed(1);

/** The Markdown table of one image's rows. */
export function table(result: ImageResult): string {
  const lines = [
    "| reader | output | entries/s | time (s) | wall (s) | peak RSS (MiB) | anon RSS (MiB) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.what} | ${r.sink === "null" ? "/dev/null" : "pipe"} | ${
        rate(r).toLocaleString("en-US")
      } | ${r.seconds.toFixed(2)} | ${r.wall.toFixed(2)} | ${mib(r.peakRssKiB)} | ${
        mib(r.anonRssKiB)
      } |`,
    );
  }
  return lines.join("\n");
}

async function hostInfo(): Promise<string> {
  const sh = async (cmd: string[]) =>
    new TextDecoder().decode(
      (await new Deno.Command(cmd[0]!, { args: cmd.slice(1) }).output())
        .stdout,
    ).trim();
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  return `nproc ${await sh(["nproc"])}, ${cpu}, kernel ${await sh(["uname", "-r"])}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: "string", default: Deno.env.get("CSD_BENCH_IMAGES") ?? IMAGE_TAGS.join(",") },
      entries: { type: "string", default: "200000" },
      size: { type: "string", default: "100" },
      output: { type: "string", default: "docs/bench.md" },
      help: { type: "boolean", short: "h" },
    },
  });
  const tags = values.images.split(",").map((s) => s.trim()).filter(Boolean);
  const entries = Number(values.entries);
  const size = Number(values.size);
  const bad = tags.find((t) => !(IMAGE_TAGS as readonly string[]).includes(t));
  if (values.help || bad || !(entries > 0) || !(size >= 16)) {
    console.error(
      "usage: deno task bench [--images 12,13,sid] [--entries 200000] [--size 100] " +
        "[--output docs/bench.md]\n" +
        "environment: CSD_IMAGE_REPO, CSD_BENCH_IMAGES, CSD_CONTAINER_PREFIX, DOCKER",
    );
    Deno.exit(values.help ? 0 : 1);
  }
  const dir = await Deno.makeTempDir({ prefix: "csd-bench-" });
  try {
    const bundlePath = await bundle(dir);
    const results: ImageResult[] = [];
    for (const tag of tags) {
      results.push(await benchImage(tag as ImageTag, bundlePath, entries, size));
      console.log(`\n### debian-${tag} (systemd ${results.at(-1)!.systemd})\n`);
      console.log(table(results.at(-1)!));
    }
    const date = new Date().toISOString().slice(0, 16).replace("T", " ");
    const doc = [
      "# Benchmark: reading the journal",
      "",
      "Written by `deno task bench` (scripts/bench.ts); do not edit by hand, run it again.",
      "",
      `- Date: ${date} UTC`,
      `- Machine: ${await hostInfo()}`,
      `- Workload: ${entries.toLocaleString("en-US")} entries with a MESSAGE of ${size} bytes ` +
      "(plus about 20 trusted fields journald adds), written over the native protocol " +
      "(sd_journal_sendv) inside a container of each image, then read from the start.",
      "- `entries/s` and `time`: the agent's own time from the first to the last entry " +
      "(process start excluded); for journalctl the whole run. `wall`: the whole process.",
      "- `pipe`: the output goes into a pipe that another process drains; `/dev/null`: " +
      "straight to /dev/null.",
      "- Peak RSS: VmHWM of the agent, ru_maxrss of journalctl. Anon RSS: the agent's " +
      "RssAnon at the end (what the 64 MiB budget counts).",
      "",
      ...results.flatMap((r) => [
        `## debian-${r.tag}: systemd ${r.systemd}`,
        "",
        `Native-protocol writer: ${Math.round(r.writer.perSecond).toLocaleString("en-US")} ` +
        "entries/s.",
        "",
        table(r),
        "",
      ]),
    ].join("\n");
    const path = values.output.startsWith("/") ? values.output : `${ROOT}/${values.output}`;
    await Deno.writeTextFile(path, doc);
    console.error(`bench: wrote ${values.output}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
