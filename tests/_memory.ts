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
import assert from "node:assert/strict";
import { recordFigure } from "./_figures.ts";

const MIB = 1024 * 1024;

/** Bytes of randomness a flood line carries (8,000 characters of base64). */
export const RANDOM_BYTES = 6_000;
/** A flood line's length at most: name, number, base64 (under Docker's 16 KiB split). */
export const LINE_BYTES = 8_030;

/** What {@link Exec} returns. */
export interface ExecResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs a command in the container, e.g. `(cmd) => c.exec(cmd)`. */
export type Exec = (cmd: string[]) => Promise<ExecResult>;

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
export function flood(exec: Exec, ident: string, count: number): Promise<ExecResult> {
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
  // Per stream: whether the next record starts a line.
  const lineStart = { stdout: true, stderr: true };
  for (const record of text.split("\n")) {
    let body: string;
    if (format === "json-file") {
      if (!record.startsWith('{"log":"')) continue;
      body = record.slice(8);
    } else {
      const m = /^\S+ (stdout|stderr) ([FP]) (.*)$/.exec(record);
      if (!m) continue;
      const stream = m[1] as "stdout" | "stderr";
      const starts = lineStart[stream];
      lineStart[stream] = m[2] === "F";
      if (!starts) continue;
      body = m[3]!;
    }
    const seq = /^([a-z-]+) (\d+) /.exec(body);
    if (seq) {
      let a = seqs.get(seq[1]!);
      if (!a) seqs.set(seq[1]!, a = []);
      a.push(Number(seq[2]));
    } else if (/^journalagent: .*(journal entr(y|ies) lost|could not be read)/.test(body)) {
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

/** A running container, whatever runs it (Docker, Podman). */
export interface Target {
  /** The image tag, for figures. */
  image: string;
  /** The runtime, for figures: "docker" or "podman". */
  runtime: string;
  /** Runs a command in the container. */
  exec: Exec;
  /** The runtime's log file of the container. */
  logPath: string;
  /** Its format. */
  format: LogFormat;
  /** Whether it runs, and whether the kernel OOM-killed it. */
  state(): Promise<{ running: boolean; oomKilled: boolean }>;
  /** The container cgroup's peak memory in bytes (0 if unknown). */
  peakBytes(): Promise<number>;
}

/**
 * Floods `5 x limit` bytes as fast as a shell writes and checks that the container
 * lives and every line reached the log once, with no loss line; or, with `lossy`, that
 * every line either reached the log once or was counted in a loss line.
 *
 * @param t The container.
 * @param limitMib Its memory limit.
 * @param options `lossy`: the log path is known to be slower than the writer (Podman's
 *   conmon), so the journal overflows; every loss must be reported. @default false
 * @throws {AssertionError} Otherwise.
 */
export async function floodScenario(
  t: Target,
  limitMib: number,
  options: { lossy?: boolean } = {},
): Promise<void> {
  const sent = linesFor(limitMib * MIB);
  const t0 = performance.now();
  const w = await flood(t.exec, "memflood", sent);
  // A writer that died with the container (SIGPIPE) says less than the container's state.
  if (w.code !== 0) assert.deepEqual(await t.state(), { running: true, oomKilled: false });
  assert.equal(w.code, 0, w.stderr);
  const writeMs = performance.now() - t0;
  const log = await pollUntil(
    () => readLogFile(t.logPath, t.format),
    (l) =>
      new Set(l.seqs.get("memflood")).size >= sent ||
      (options.lossy ? (l.seqs.get("memflood") ?? []).includes(sent - 1) : l.lossLines.length > 0),
    180_000,
  );
  let tally = tallyFlood(log.seqs.get("memflood"), sent);
  let reported = log.lossLines.map(lossCount).reduce((a, b) => a + b, 0);
  if (options.lossy) {
    // The loss lines go to stderr, a pipe of its own under Podman: wait for the last ones.
    await pollUntil(
      async () => {
        const l = await readLogFile(t.logPath, t.format);
        tally = tallyFlood(l.seqs.get("memflood"), sent);
        reported = l.lossLines.map(lossCount).reduce((a, b) => a + b, 0);
        return reported;
      },
      (r) => r === tally.lost,
      10_000,
    );
  }
  const state = await t.state();
  recordFigure({
    test: "memory",
    scenario: `${t.runtime}-flood-${limitMib}m`,
    image: t.image,
    ...tally,
    reported,
    logMiB: Math.round((sent * (RANDOM_BYTES / 3 * 4)) / MIB),
    peakMiB: Math.round((await t.peakBytes()) / MIB),
    writeMs: Math.round(writeMs),
    ms: Math.round(performance.now() - t0),
  });
  assert.deepEqual(state, { running: true, oomKilled: false });
  assert.equal(tally.duplicated, 0, JSON.stringify(tally));
  if (options.lossy) {
    // Every missing line is counted; the counts also include the few other entries that
    // fell into the same gaps (systemd's and the agent's own lines about a restart).
    const detail = `reported ${reported}: ${JSON.stringify(tally)}`;
    assert.ok(reported >= tally.lost && reported <= tally.lost + 200, detail);
    return;
  }
  assert.deepEqual(log.lossLines, []);
  assert.equal(tally.lost, 0, JSON.stringify(tally));
}

/**
 * Stops the agent (SIGSTOP, as a stalled log reader stalls it) while three times the
 * journal's cap goes into the journal, so that journald removes the oldest entries
 * before the agent reads them; then checks that the container lives and that exactly one
 * loss line reports exactly the lines missing from the log.
 *
 * @param t The container.
 * @param capBytes The journal's cap (`RuntimeMaxUse=`).
 * @throws {AssertionError} Otherwise.
 */
export async function stallScenario(t: Target, capBytes: number): Promise<void> {
  const before = (await readLogFile(t.logPath, t.format)).lossLines.length;
  const show = await t.exec(["systemctl", "show", "-p", "MainPID", "--value", "journalagent"]);
  const pid = Number(show.stdout.trim());
  assert.ok(pid > 1, `agent not running (MainPID ${pid})`);
  assert.equal((await t.exec(["sh", "-c", `kill -STOP ${pid}`])).code, 0);
  const sent = linesFor(capBytes, 3);
  const t0 = performance.now();
  try {
    const w = await flood(t.exec, "memstall", sent);
    assert.equal(w.code, 0, w.stderr);
    // journald has stored them all once the last one is in the journal.
    await pollUntil(
      () => t.exec(["sh", "-c", "journalctl -q -t memstall -n 1 -o cat | cut -c1-20"]),
      (r) => r.stdout.startsWith(`memstall ${sent - 1} `),
      30_000,
    );
  } finally {
    assert.equal((await t.exec(["sh", "-c", `kill -CONT ${pid}`])).code, 0);
  }
  const log = await pollUntil(
    () => readLogFile(t.logPath, t.format),
    (l) => (l.seqs.get("memstall") ?? []).includes(sent - 1) && l.lossLines.length > before,
    60_000,
  );
  const tally = tallyFlood(log.seqs.get("memstall"), sent);
  const lines = log.lossLines.slice(before);
  const state = await t.state();
  recordFigure({
    test: "memory",
    scenario: `${t.runtime}-stalled`,
    image: t.image,
    ...tally,
    reported: lines.map(lossCount).reduce((a, b) => a + b, 0),
    lossLines: lines.length,
    ms: Math.round(performance.now() - t0),
  });
  assert.deepEqual(state, { running: true, oomKilled: false });
  assert.ok(tally.lost > 0, `the stall did not overfill the journal: ${JSON.stringify(tally)}`);
  assert.equal(tally.duplicated, 0);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0]!,
    /^journalagent: \d+ journal entries lost between \d{4}-\d\d-\d\dT[\d:.]+Z and \d{4}-\d\d-\d\dT[\d:.]+Z: /,
  );
  assert.equal(lossCount(lines[0]!), tally.lost, `${lines[0]} / ${JSON.stringify(tally)}`);
}
