/**
 * The part of `deno task bench` that runs inside the container (bundled by
 * scripts/bench.ts, run with the image's Deno).
 *
 * Usage:
 *   bench.js write N SIZE       writes N entries of SIZE bytes over the native protocol,
 *                               prints {"written", "seconds", "perSecond"}
 *   bench.js measure SINK -- CMD...
 *                               runs CMD with its stdout on /dev/null (SINK "null") or a
 *                               pipe read by this process (SINK "pipe"); prints
 *                               {"seconds", "maxRssKiB", "code"} (peak RSS of CMD from
 *                               getrusage(RUSAGE_CHILDREN): run one CMD per process)
 *   bench.js read FORMAT        reads the whole journal with EntryReader in FORMAT and
 *                               writes it to stdout; prints {"entries", "seconds",
 *                               "bytes", "peakRssKiB", "anonRssKiB"} to stderr
 *   bench.js flood N SIZE FORMAT
 *                               follows the journal in FORMAT (output discarded) while a
 *                               child process writes N entries; prints the writer's and
 *                               the reader's rates and how long after the writer's end
 *                               the reader had the last entry
 *   bench.js memory PASSES FORMAT
 *                               reads the whole journal PASSES times (output discarded),
 *                               prints the anonymous RSS after each pass
 *
 * @module
 */
import { Journal } from "../agent/source/journal.ts";
import { OutputBuffer } from "../agent/format/buffer.ts";
import { entryFormat } from "../agent/format/formats.ts";
import type { OutputFormat } from "../agent/format/names.ts";
import { EntryReader } from "../agent/source/reader.ts";
import { messageStart, sendMany } from "./journal_writer.ts";

/** Fields of /proc/self/status in KiB, e.g. VmHWM (peak RSS) and RssAnon. */
export function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of Deno.readTextFileSync("/proc/self/status").split("\n")) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** ru_maxrss of the terminated children of this process, in KiB (getrusage(2)). */
function childrenMaxRss(): number {
  const lib = Deno.dlopen("libc.so.6", {
    getrusage: { parameters: ["i32", "buffer"], result: "i32" }, // int who, struct rusage *usage
  });
  try {
    const usage = new BigInt64Array(18); // struct rusage: 2 timevals, then 14 longs
    if (lib.symbols.getrusage(-1, usage) !== 0) return -1; // RUSAGE_CHILDREN
    return Number(usage[4]); // ru_maxrss follows ru_utime and ru_stime (2 longs each)
  } finally {
    lib.close();
  }
}

async function measure(sink: string, cmd: string[]): Promise<void> {
  const t0 = performance.now();
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: sink === "pipe" ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  let bytes = 0;
  const drain = (async () => {
    if (sink !== "pipe") return;
    for await (const chunk of child.stdout) bytes += chunk.length;
  })();
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    drain,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    seconds,
    maxRssKiB: childrenMaxRss(),
    code: status.code,
    bytes,
    stderr: stderr.slice(-2000),
  }));
}

function read(format: OutputFormat): void {
  using j = Journal.open();
  j.seekHead();
  const reader = new EntryReader(j, { format: entryFormat(format) });
  const out = { stdout: new OutputBuffer(1 << 20), stderr: new OutputBuffer() };
  const t0 = performance.now();
  let entries = 0;
  let bytes = 0;
  for (;;) {
    const r = reader.fill(out, 1 << 20);
    for (const buf of [out.stdout, out.stderr]) {
      let b = buf.bytes();
      bytes += b.length;
      while (b.length > 0) b = b.subarray(Deno.stdout.writeSync(b));
      buf.reset();
    }
    if (r.entries === 0) break;
    entries += r.entries;
  }
  const seconds = (performance.now() - t0) / 1000;
  const st = procStatus();
  console.error(JSON.stringify({
    entries,
    seconds,
    bytes,
    peakRssKiB: st["VmHWM"],
    anonRssKiB: st["RssAnon"],
  }));
}

/** Reads from the current position to the end, discarding the output. */
function drain(
  reader: EntryReader<OutputBuffer>,
  out: { stdout: OutputBuffer; stderr: OutputBuffer },
): number {
  let entries = 0;
  for (;;) {
    const r = reader.fill(out, 1 << 20);
    out.stdout.reset();
    out.stderr.reset();
    if (r.entries === 0) return entries;
    entries += r.entries;
  }
}

function memory(passes: number, format: OutputFormat): void {
  using j = Journal.open();
  const reader = new EntryReader(j, { format: entryFormat(format) });
  const out = { stdout: new OutputBuffer(1 << 20), stderr: new OutputBuffer() };
  const anonKiB: number[] = [];
  let entries = 0;
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) {
    j.seekHead();
    entries += drain(reader, out);
    anonKiB.push(procStatus()["RssAnon"]!);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ entries, seconds, anonKiB, peakRssKiB: procStatus()["VmHWM"] }));
}

async function flood(n: number, size: number, format: OutputFormat): Promise<void> {
  using j = Journal.open();
  j.seekTail();
  j.previous(); // sd_journal_seek_tail(3): step back once, then next() finds new entries
  const reader = new EntryReader(j, { format: entryFormat(format) });
  const out = { stdout: new OutputBuffer(1 << 20), stderr: new OutputBuffer() };
  const last = new TextEncoder().encode(messageStart(n - 1));
  const writer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-config",
      "--cached-only",
      new URL(import.meta.url).pathname,
      "write",
      String(n),
      String(size),
    ],
    stdout: "piped",
  }).spawn();
  let writerOut = "";
  let writerFailed = false;
  const writerDone = writer.output().then((o) => {
    writerOut = new TextDecoder().decode(o.stdout);
    writerFailed = !o.success;
  });
  const t0 = performance.now();
  let entries = 0;
  let seenLast = 0;
  let peakAnon = 0;
  while (seenLast === 0) {
    if (writerFailed) throw new Error("The writer failed");
    const r = reader.fill(out, 1 << 20);
    entries += r.entries;
    if (contains(out.stdout.bytes(), last)) seenLast = performance.now();
    out.stdout.reset();
    out.stderr.reset();
    if (r.entries === 0) {
      peakAnon = Math.max(peakAnon, procStatus()["RssAnon"]!);
      await j.wait(20_000);
    }
  }
  await writerDone;
  const w = JSON.parse(writerOut);
  console.log(JSON.stringify({
    written: n,
    writerPerSecond: w.perSecond,
    entries,
    readerPerSecond: entries / ((seenLast - t0) / 1000),
    lagMs: performance.timeOrigin + seenLast - w.endedAt,
    anonRssKiB: Math.max(peakAnon, procStatus()["RssAnon"]!),
  }));
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = hay.length - needle.length; i >= 0; i--) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

async function main(): Promise<void> {
  const [mode, ...args] = Deno.args;
  if (mode === "write") {
    const n = Number(args[0]);
    const size = Number(args[1] ?? "100");
    const t0 = performance.now();
    sendMany(n, size, "csd-bench");
    const seconds = (performance.now() - t0) / 1000;
    // endedAt: wall-clock ms (sub-ms precision) of the last send, for `flood`.
    const endedAt = performance.timeOrigin + performance.now();
    console.log(JSON.stringify({ written: n, seconds, perSecond: n / seconds, endedAt }));
  } else if (mode === "measure") {
    const sep = args.indexOf("--");
    await measure(args[0] ?? "null", args.slice(sep + 1));
  } else if (mode === "read") {
    read((args[0] ?? "json") as OutputFormat);
  } else if (mode === "flood") {
    await flood(Number(args[0]), Number(args[1] ?? "100"), (args[2] ?? "json") as OutputFormat);
  } else if (mode === "memory") {
    memory(Number(args[0] ?? "5"), (args[1] ?? "json") as OutputFormat);
  } else {
    console.error(
      "usage: bench.js write N SIZE | measure SINK -- CMD... | read FORMAT | " +
        "flood N SIZE FORMAT | memory PASSES FORMAT",
    );
    Deno.exit(1);
  }
}

if (import.meta.main) await main();
