/**
 * The container's peak memory during a flood (part of `deno task bench`, or on its own:
 * `deno run -A scripts/_bench_memory.ts [--images 12,13,sid] [--entries 1000000]`,
 * which prints the table and puts it into docs/bench.md's "Container memory" section).
 *
 * The same writer in each case: awk printing ENTRIES lines of 100 bytes as fast as it
 * can. In the image with systemd, awk runs as a service (`systemd-run`, stdout to the
 * journal) and the agent forwards (`cat` format); in the plain container awk is the
 * entrypoint writing to the container's stdout. The difference is what systemd, journald,
 * the journal in /run and the agent cost. Peak: the container's cgroup v1
 * `memory.max_usage_in_bytes` (reset after boot), read once the last line is in the log.
 * CPU: the container's cgroup v1 `cpuacct.usage` over the same span (the writer, and
 * for the image also systemd, journald and the agent), per 100,000 lines.
 *
 * Environment: CSD_IMAGE_REPO, CSD_CONTAINER_PREFIX (default "csd-bench").
 *
 * @module
 */
import { parseArgs } from "node:util";
import { docker, FLAG_SETS } from "../tests/harness.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";

/** One measured container. */
export interface MemoryRow {
  /** "systemd + journald + agent" or "plain (awk to stdout)". */
  what: string;
  /** The memory limit in MiB, or null for none. */
  limitMiB: number | null;
  /** Lines written. */
  entries: number;
  /** Lines in the log (the flood's). */
  seen: number;
  /** Peak memory of the container's cgroup after boot, in MiB. */
  peakMiB: number;
  /** Memory at the end, in MiB. */
  endMiB: number;
  /** Seconds from the start of the flood to its last line in the log. */
  seconds: number;
  /** CPU time of the container's processes over that span, in ms per 100,000 lines. */
  cpuMsPer100k?: number;
  /** Of that, journald's and the agent's (the image only; the agent's if it did not restart). */
  journaldMsPer100k?: number;
  /** See journaldMsPer100k. */
  agentMsPer100k?: number;
  /** Whether the kernel OOM-killed anything in the container. */
  oomKilled: boolean;
}

const AWK = (n: number) =>
  `awk 'BEGIN { for (i = 0; i < ${n}; i++) printf "%10d %s\\n", i, ` +
  `"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut" }'`;

/**
 * `docker exec` arguments that run `sh -c SCRIPT` in container `name` as the transient
 * service UNIT with its stdout to the journal and no log rate limit (systemd-run(1)),
 * waiting for it to end when `wait` is set.
 */
export function serviceArgs(name: string, unit: string, script: string, wait = false): string[] {
  return [
    "exec",
    name,
    "systemd-run",
    "--quiet",
    ...(wait ? ["--wait"] : []),
    `--unit=${unit}`,
    "-p",
    "StandardOutput=journal",
    "-p",
    "LogRateLimitIntervalSec=0",
    "sh",
    "-c",
    script,
  ];
}

function cgroupFile(id: string, file: string, controller = "memory"): string {
  return `/sys/fs/cgroup/${controller}/docker/${id}/${file}`;
}

/**
 * CPU time (utime + stime, proc(5) fields 14 and 15) of journald and the agent in the
 * container, in ms, with the agent's PID.
 */
async function unitCpuMs(name: string): Promise<{ journald: number; agent: number; pid: string }> {
  const r = await docker([
    "exec",
    name,
    "sh",
    "-c",
    [
      "for u in systemd-journald journalagent; do",
      '  p=$(systemctl show -p MainPID --value "$u"); echo "$p $(cut -d" " -f14,15 /proc/$p/stat)"',
      "done",
    ].join("\n"),
  ]);
  const hz = 100; // USER_HZ on Linux
  const [j, a] = r.stdout.trim().split("\n").map((l) => l.split(" "));
  const ms = (f?: string[]) => ((Number(f?.[1]) + Number(f?.[2])) * 1000) / hz;
  return { journald: ms(j), agent: ms(a), pid: a?.[0] ?? "" };
}

/** The container's CPU time so far, in ns (cgroup v1 cpuacct). */
async function cpuNs(id: string): Promise<number> {
  return Number(await Deno.readTextFile(cgroupFile(id, "cpuacct.usage", "cpuacct")));
}

async function waitLast(name: string, n: number, deadline: number): Promise<void> {
  const last = String(n - 1).padStart(10, " ");
  for (;;) {
    const tail = await docker(["logs", "--tail", "5", name]);
    if (tail.stdout.includes(last)) return;
    if (Date.now() > deadline) throw new Error(`${name}: the flood did not reach the log`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function countLines(name: string): Promise<number> {
  const r = await new Deno.Command("sh", {
    // Flood lines only (systemd's "Started memflood.service - sh -c awk ..." line quotes
    // the same words), each number once.
    args: ["-c", `docker logs ${name} 2>/dev/null | grep -E '^ *[0-9]+ lorem' | sort -u | wc -l`],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(r.stdout).trim());
}

/**
 * Runs one container with the flood and measures it.
 *
 * @param tag The image.
 * @param entries Lines to write.
 * @param options `limitMiB`: `--memory`/`--memory-swap`; `plain`: awk as the entrypoint.
 * @returns The row.
 * @throws {Error} If the container does not start or the flood does not arrive in 10 min.
 */
export async function measureContainer(
  tag: ImageTag,
  entries: number,
  options: { limitMiB?: number; plain?: boolean },
): Promise<MemoryRow> {
  const prefix = Deno.env.get("CSD_CONTAINER_PREFIX") || "csd-bench";
  const name = `${prefix}-mem-${tag}-${options.plain ? "plain" : "csd"}-${
    options.limitMiB ?? "nolimit"
  }-${Deno.pid}`;
  const limit = options.limitMiB
    ? ["--memory", `${options.limitMiB}m`, "--memory-swap", `${options.limitMiB}m`]
    : [];
  const deadline = Date.now() + 600_000;
  try {
    if (options.plain) {
      // The writer waits for a file, so that the peak is reset before it starts.
      const script = `while [ ! -e /tmp/go ]; do sleep 0.05; done; ${AWK(entries)}; sleep 600`;
      const r = await docker([
        "run",
        "-d",
        "--name",
        name,
        ...limit,
        "--entrypoint",
        "sh",
        imageName(tag),
        "-c",
        script,
      ]);
      if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
    } else {
      const r = await docker([
        "run",
        "-d",
        "--name",
        name,
        ...FLAG_SETS.minimal,
        ...limit,
        "-e",
        "JOURNALAGENT_OUTPUT=cat",
        imageName(tag),
      ]);
      if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr.trim()}`);
      for (;;) {
        const s = await docker(["exec", name, "systemctl", "is-system-running"]);
        if (["running", "degraded"].includes(s.stdout.trim())) break;
        if (Date.now() > deadline) throw new Error(`${name} did not boot`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const id = (await docker(["inspect", "-f", "{{.Id}}", name])).stdout.trim();
    await Deno.writeTextFile(cgroupFile(id, "memory.max_usage_in_bytes"), "0");
    const units0 = options.plain ? undefined : await unitCpuMs(name);
    const cpu0 = await cpuNs(id);
    const t0 = performance.now();
    if (options.plain) {
      await docker(["exec", name, "touch", "/tmp/go"]);
    } else {
      const r = await docker(serviceArgs(name, "memflood", AWK(entries)));
      if (r.code !== 0) throw new Error(`systemd-run failed: ${r.stderr.trim()}`);
    }
    await waitLast(name, entries, deadline);
    const seconds = (performance.now() - t0) / 1000;
    const per100k = entries / 100_000;
    const cpuMsPer100k = (await cpuNs(id) - cpu0) / 1e6 / per100k;
    const units1 = units0 && await unitCpuMs(name);
    const read = (f: string) => Deno.readTextFile(cgroupFile(id, f)).then(Number);
    const peak = await read("memory.max_usage_in_bytes");
    const end = await read("memory.usage_in_bytes");
    const oom = /oom_kill (\d+)/.exec(
      await Deno.readTextFile(cgroupFile(id, "memory.oom_control")),
    );
    return {
      what: options.plain ? "plain (awk to stdout)" : "systemd + journald + agent",
      limitMiB: options.limitMiB ?? null,
      entries,
      seen: await countLines(name),
      peakMiB: peak / 1048576,
      endMiB: end / 1048576,
      seconds,
      cpuMsPer100k,
      journaldMsPer100k: units1 && (units1.journald - units0!.journald) / per100k,
      agentMsPer100k: units1 && units1.pid === units0!.pid
        ? (units1.agent - units0!.agent) / per100k
        : undefined,
      oomKilled: Number(oom?.[1] ?? 0) > 0,
    };
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
}

/**
 * Measures the image with systemd without a limit and with 256 MiB and 128 MiB, and the
 * plain container without a limit.
 *
 * @param tag The image.
 * @param entries Lines per flood.
 */
export async function measureContainerMemory(
  tag: ImageTag,
  entries: number,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  rows.push(await measureContainer(tag, entries, { plain: true }));
  for (const limitMiB of [undefined, 256, 128]) {
    rows.push(await measureContainer(tag, entries, { limitMiB }));
  }
  return rows;
}

const num = (x?: number) => x === undefined ? "" : String(Math.round(x));

/** The Markdown table of the rows. */
export function memoryTable(rows: MemoryRow[]): string {
  const lines = [
    "| container | limit | lines in the log | peak (MiB) | at the end (MiB) | flood to last line (s) | CPU per 100,000 lines (ms) | of it journald | of it agent | OOM kill |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.what} | ${r.limitMiB === null ? "none" : `${r.limitMiB} MiB`} | ${
        r.seen.toLocaleString("en-US")
      } of ${r.entries.toLocaleString("en-US")} | ${r.peakMiB.toFixed(1)} | ${
        r.endMiB.toFixed(1)
      } | ${r.seconds.toFixed(1)} | ${num(r.cpuMsPer100k)} | ${num(r.journaldMsPer100k)} | ${
        num(r.agentMsPer100k)
      } | ${r.oomKilled ? "yes" : "no"} |`,
    );
  }
  return lines.join("\n");
}

const SECTION = "## Container memory";

/** Replaces (or appends) the "Container memory" section of a Markdown document. */
export function spliceSection(doc: string, body: string): string {
  const start = doc.indexOf(SECTION);
  const head = start >= 0 ? doc.slice(0, start) : doc.trimEnd() + "\n\n";
  const rest = start >= 0 ? doc.slice(start + SECTION.length) : "";
  const next = rest.search(/\n## /);
  const tail = next >= 0 ? rest.slice(next + 1) : "";
  return `${head}${SECTION}\n\n${body}\n${tail ? `\n${tail}` : ""}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: "string", default: IMAGE_TAGS.join(",") },
      entries: { type: "string", default: "1000000" },
      output: { type: "string", default: "docs/bench.md" },
    },
  });
  const entries = Number(values.entries);
  const parts: string[] = [
    `Written by \`deno run -A scripts/_bench_memory.ts\` (also part of \`deno task bench\`) on ${
      new Date().toISOString().slice(0, 16).replace("T", " ")
    } UTC, load average ${
      (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
    }. A flood of ${
      entries.toLocaleString("en-US")
    } lines of 100 bytes from awk, as fast as it writes: as a service of the image (to the journal, forwarded by the agent as \`cat\`), and as the entrypoint of a plain container of the same image writing to its stdout. Peak: the container's cgroup \`memory.max_usage_in_bytes\` (cgroup v1; page cache included) from after boot to the last line in the log. CPU: the container's cgroup \`cpuacct.usage\` over the same span, per 100,000 lines: the writer, and for the image also systemd, journald and the agent (Docker's own work for the log lines is the same in both and not counted); of it journald's and the agent's own (\`/proc/PID/stat\`).`,
    "",
  ];
  for (const tag of values.images.split(",")) {
    const rows = await measureContainerMemory(tag as ImageTag, entries);
    const table = memoryTable(rows);
    console.log(`\n### debian-${tag}\n\n${table}`);
    parts.push(`### debian-${tag}`, "", table, "");
  }
  const path = new URL(`../${values.output}`, import.meta.url).pathname;
  await Deno.writeTextFile(path, spliceSection(await Deno.readTextFile(path), parts.join("\n")));
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
}

if (import.meta.main) await main();
