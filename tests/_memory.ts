/**
 * Memory-limited containers (tests/memory_test.ts, tests/podman_test.ts): a flood of
 * large, incompressible, sequence-numbered lines written into the journal as fast as a
 * shell can, and the tally of what reached the runtime's log file.
 *
 * The lines are big (8,000 bytes) so that few entries carry many bytes, and random
 * (base64 of /dev/urandom) so that journald cannot compress them: the journal in /run
 * grows by about the bytes written, which is what made a limited container OOM-kill
 * itself before the bootstrap capped the journal. The log is read from the runtime's log
 * file (what `docker logs`/`podman logs` read) with cut(1): the floods are several times
 * the memory limit, too big to pull through `docker logs` into a string quickly.
 *
 * @module
 */
import type { CommandResult } from "./harness.ts";

/** Bytes of randomness a flood line carries (8,000 characters of base64). */
export const RANDOM_BYTES = 6_000;
/** A flood line's length at most: name, number, base64 (under Docker's 16 KiB split). */
export const LINE_BYTES = 8_030;

/** Runs a command in the container, e.g. `(cmd) => c.exec(cmd)`. */
export type Exec = (cmd: string[]) => Promise<CommandResult>;

/**
 * How many flood lines carry `factor` times `bytes`.
 *
 * @param bytes e.g. the memory limit.
 * @param factor @default 5
 */
export function linesFor(bytes: number, factor = 5): number {
  return Math.ceil((bytes * factor) / (RANDOM_BYTES / 3 * 4));
}

/**
 * Writes `count` lines `<ident> <seq> <random>` (seq 0 .. count-1) to the journal with
 * systemd-cat as identifier `ident`, from a shell started by `docker exec` (so no unit
 * and no rate limit, and nothing else logged around it), as fast as the shell writes.
 *
 * @returns The command's result once the writer has finished.
 */
export function flood(exec: Exec, ident: string, count: number): Promise<CommandResult> {
  return exec([
    "sh",
    "-c",
    `l=$(head -c ${RANDOM_BYTES} /dev/urandom | base64 -w0); i=0; ` +
    `while [ $i -lt ${count} ]; do echo "${ident} $i $l"; i=$((i+1)); done | ` +
    `systemd-cat -t ${ident}`,
  ]);
}

/** The log-file formats of the runtimes. */
export type LogFormat = "json-file" | "k8s-file";

/** What the log file holds of a flood, and the agent's loss lines. */
export interface LogTally {
  /** Sequence numbers seen (with repeats), by flood name. */
  seqs: Map<string, number[]>;
  /** The agent's "journal entries lost" lines. */
  lossLines: string[];
}

/**
 * Reads the flood's sequence numbers and the loss lines from a runtime's log file.
 * Docker's json-file: one JSON record per line; Podman's k8s-file: `TIME STREAM F|P
 * TEXT`, where a line longer than conmon's buffer is split into P records (only a record
 * after an F record starts a line).
 *
 * @param path The log file (`docker inspect -f '{{.LogPath}}'`).
 * @param format Its format.
 * @returns The tally; flood lines are `NAME SEQ ...` with NAME of lowercase letters and
 *   dashes.
 */
export async function readLogFile(path: string, format: LogFormat): Promise<LogTally> {
  const cut = await new Deno.Command("cut", { args: ["-c1-400", path], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(cut.stdout);
  const seqs = new Map<string, number[]>();
  const lossLines: string[] = [];
  let lineStart = true;
  for (const record of text.split("\n")) {
    let body: string;
    if (format === "json-file") {
      if (!record.startsWith('{"log":"')) continue;
      body = record.slice(8);
    } else {
      const m = /^\S+ (?:stdout|stderr) ([FP]) (.*)$/.exec(record);
      if (!m) continue;
      const starts = lineStart;
      lineStart = m[1] === "F";
      if (!starts) continue;
      body = m[2]!;
    }
    const seq = /^([a-z-]+) (\d+) /.exec(body);
    if (seq) {
      let a = seqs.get(seq[1]!);
      if (!a) seqs.set(seq[1]!, a = []);
      a.push(Number(seq[2]));
    } else if (body.includes("journal entries lost") || body.includes("journal entry lost")) {
      lossLines.push(body.replace(/\\n".*$/, ""));
    }
  }
  return { seqs, lossLines };
}

/** A flood's count against the log. */
export interface FloodTally {
  /** Lines written. */
  sent: number;
  /** Distinct sequence numbers in the log. */
  seen: number;
  /** Written but not in the log. */
  lost: number;
  /** Lines beyond the first of each sequence number. */
  duplicated: number;
}

/**
 * Counts a flood's lines in `seqs`.
 *
 * @param seqs Sequence numbers from the log (only the flood's).
 * @param sent How many lines were written.
 */
export function tallyFlood(seqs: number[] | undefined, sent: number): FloodTally {
  seqs ??= [];
  const distinct = new Set(seqs.filter((s) => s < sent));
  return {
    sent,
    seen: distinct.size,
    lost: sent - distinct.size,
    duplicated: seqs.length - new Set(seqs).size,
  };
}

/**
 * The number a loss line reports (`journalagent: N journal entries lost ...`).
 *
 * @returns N, or NaN if the line has no count.
 */
export function lossCount(line: string): number {
  const m = /journalagent: (?:at least )?(\d+) journal entr/.exec(line);
  return m ? Number(m[1]) : NaN;
}

/** Polls `fn` until it returns a value `ok` accepts or the deadline passes (last value). */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}
