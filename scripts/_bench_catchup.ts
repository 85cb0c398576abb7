/**
 * End-to-end catch-up into `docker logs` (part of `deno task bench`, or on its own:
 * `deno run -A scripts/_bench_catchup.ts [--images 12,13,sid] [--entries 200000]
 * [--runs 3]`, which prints the table).
 *
 * The agent is stopped (`systemctl stop journalagent`, which saves its cursor), a
 * service writes ENTRIES lines of 100 bytes to the journal, and once journald holds
 * them all the agent is started again: it catches up from its cursor, as after every
 * restart, kill or crash, in the `json` format. Its time is Docker's own: from the
 * json-file record of the first caught-up line to that of the last. The same bytes (the
 * lines the agent wrote, read back from the log file) are then written to stdout by
 * `cat` in a plain container of the same image, and timed the same way. The ratio of
 * the two is the regression guard: the agent is at Docker's log path's limit when it
 * is close to 1.
 *
 * ENTRIES must fit in the journal while the agent is stopped: 200,000 of these entries
 * (about 1,050 bytes each as `json`) are more than the container's journal keeps in
 * /run, and journald removed about half of them before the agent started (the table's
 * "caught up" column shows it); 80,000 fit.
 *
 * Environment: CSD_IMAGE_REPO, CSD_CONTAINER_PREFIX (default "csd-bench").
 *
 * @module
 */
import { parseArgs } from "node:util";
import { docker, FLAG_SETS } from "../tests/harness.ts";
import { IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";
import { median } from "./_bench_boot.ts";
import { serviceArgs } from "./_bench_memory.ts";

/** One image's catch-up runs. */
export interface CatchupResult {
  /** The image. */
  tag: ImageTag;
  /** Entries written per run. */
  entries: number;
  /** Caught-up lines in the log per run (the agent's); each should be `entries`. */
  seen: number[];
  /** MB (10^6 bytes) the agent wrote per run: the caught-up lines with their newlines. */
  megabytes: number;
  /** Seconds from the first to the last caught-up line, by Docker's timestamps. */
  agentSeconds: number[];
  /** Seconds from `systemctl start journalagent` to the last line in the log (host clock). */
  agentStartSeconds: number[];
  /** The plain container's seconds from its first to its last line (Docker's timestamps). */
  plainSeconds: number[];
}

const AWK = (n: number, marker: string) =>
  `awk 'BEGIN { for (i = 0; i < ${n}; i++) printf "%10d ${marker} %s\\n", i, ` +
  `"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor" }'`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function ok(args: string[], what: string): Promise<string> {
  const r = await docker(args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${what} failed (exit code ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The json-file records of container `name` whose line matches `pattern` (an extended
 * regular expression for grep, applied to the record), as `{ log, time }`.
 */
async function records(name: string, pattern: string): Promise<{ log: string; time: string }[]> {
  const path = (await ok(["inspect", "-f", "{{.LogPath}}", name], "docker inspect")).trim();
  const r = await new Deno.Command("grep", { args: ["-E", pattern, path], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(r.stdout);
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Docker's RFC 3339 timestamp with nanoseconds, in ms since the epoch (µs precision). */
export function dockerTimeMs(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) throw new Error(`not a Docker timestamp: ${time}`);
  const frac = (m[2] ?? "").padEnd(6, "0").slice(0, 6);
  return Date.parse(`${m[1]}${m[3]}`) + Number(frac) / 1000;
}

function span(recs: { time: string }[]): number {
  if (recs.length === 0) return NaN;
  return (dockerTimeMs(recs.at(-1)!.time) - dockerTimeMs(recs[0]!.time)) / 1000;
}

/** Waits until `check` returns true, polling every 100 ms. */
async function until(check: () => Promise<boolean>, deadline: number, what: string) {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether the last 50 log lines (systemd logs a few after the writer ends) of container `name` contain `text`. */
async function tailHas(name: string, text: string): Promise<boolean> {
  const r = await docker(["logs", "--tail", "50", name]);
  return r.stdout.includes(text);
}

/**
 * Measures the catch-up of one image, `runs` times, each run followed by the plain
 * container with the same bytes.
 *
 * @param tag The image.
 * @param entries Lines per run.
 * @param runs Runs (the table shows the median).
 * @returns The figures of every run.
 * @throws {Error} If a container does not start or a run does not complete in 10 min.
 */
export async function measureCatchup(
  tag: ImageTag,
  entries: number,
  runs: number,
): Promise<CatchupResult> {
  const prefix = Deno.env.get("CSD_CONTAINER_PREFIX") || "csd-bench";
  const name = `${prefix}-catchup-${tag}-${Deno.pid}`;
  const plainName = `${name}-plain`;
  const dir = await Deno.makeTempDir({ prefix: "csd-catchup-" });
  const result: CatchupResult = {
    tag,
    entries,
    seen: [],
    megabytes: 0,
    agentSeconds: [],
    agentStartSeconds: [],
    plainSeconds: [],
  };
  const last = String(entries - 1).padStart(10, " ");
  try {
    await ok(
      [
        "run",
        "-d",
        "--name",
        name,
        ...FLAG_SETS.minimal,
        "-e",
        "JOURNALAGENT_OUTPUT=json",
        imageName(tag),
      ],
      "docker run",
    );
    const deadline = Date.now() + 600_000 * runs;
    await until(
      async () => {
        const s = await docker(["exec", name, "systemctl", "is-system-running"]);
        return ["running", "degraded"].includes(s.stdout.trim());
      },
      deadline,
      `${name} to boot`,
    );
    for (let run = 1; run <= runs; run++) {
      const marker = `csdcatchup${run}`;
      await ok(["exec", name, "systemctl", "stop", "journalagent"], "stopping the agent");
      await ok(serviceArgs(name, marker, AWK(entries, marker), true), "the writer");
      await until(
        async () => {
          const r = await docker([
            "exec",
            name,
            "journalctl",
            `_SYSTEMD_UNIT=${marker}.service`,
            "-o",
            "cat",
            "-n",
            "1",
          ]);
          return r.stdout.includes(last);
        },
        deadline,
        "journald to hold the entries",
      );
      const t0 = performance.now();
      await ok(["exec", name, "systemctl", "start", "journalagent"], "starting the agent");
      await until(() => tailHas(name, `${last} ${marker}`), deadline, "the agent's last line");
      result.agentStartSeconds.push((performance.now() - t0) / 1000);
      // The service's lines, not systemd's "Started ..." line that quotes the command.
      const recs = await records(name, `[0-9] ${marker} `);
      result.seen.push(recs.length);
      result.agentSeconds.push(span(recs));
      const bytes = new TextEncoder().encode(recs.map((r) => r.log).join(""));
      result.megabytes = bytes.length / 1e6;
      await Deno.writeFile(`${dir}/lines`, bytes);

      // The plain container writes the same bytes with cat once told to.
      await ok(
        [
          "run",
          "-d",
          "--name",
          plainName,
          "-v",
          `${dir}/lines:/lines:ro`,
          "--entrypoint",
          "sh",
          imageName(tag),
          "-c",
          "while [ ! -e /tmp/go ]; do sleep 0.02; done; cat /lines; sleep 600",
        ],
        "docker run (plain)",
      );
      await ok(["exec", plainName, "touch", "/tmp/go"], "starting the plain writer");
      await until(() => tailHas(plainName, `${last} ${marker}`), deadline, "the plain last line");
      result.plainSeconds.push(span(await records(plainName, `[0-9] ${marker} `)));
      await docker(["rm", "-f", "-v", plainName]);
    }
    return result;
  } finally {
    await docker(["rm", "-f", "-v", name, plainName]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The ratio of the medians, agent to plain (1: as fast as `cat` to stdout). */
export function catchupRatio(r: CatchupResult): number {
  return median(r.agentSeconds) / median(r.plainSeconds);
}

/** The Markdown table of the results, one row per image. */
export function catchupTable(results: CatchupResult[]): string {
  const s = (xs: number[]) =>
    `${median(xs).toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(", ")})`;
  const lines = [
    "| image | entries | caught up | MB | agent (s) | agent from its start (s) | plain `cat` (s) | agent / plain |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    lines.push(
      `| debian-${r.tag} | ${r.entries.toLocaleString("en-US")} | ${
        r.seen.map((n) => n.toLocaleString("en-US")).join(", ")
      } | ${r.megabytes.toFixed(0)} | ${s(r.agentSeconds)} | ${s(r.agentStartSeconds)} | ${
        s(r.plainSeconds)
      } | ${catchupRatio(r).toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: "string", default: IMAGE_TAGS.join(",") },
      entries: { type: "string", default: "80000" },
      runs: { type: "string", default: "3" },
    },
  });
  const results: CatchupResult[] = [];
  for (const tag of values.images.split(",")) {
    results.push(
      await measureCatchup(tag as ImageTag, Number(values.entries), Number(values.runs)),
    );
  }
  console.log(catchupTable(results));
}

if (import.meta.main) await main();
