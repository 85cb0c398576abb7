/**
 * Floods of sequence-numbered journal entries for the fault, slow-reader and soak tests,
 * and the tally of what reached the container's log against what journald stored.
 *
 * A flood is a transient unit `flood-<name>.service` running tests/_flood_writer.ts
 * with the image's Deno; its entries carry SYSLOG_IDENTIFIER `flood-<name>` and a
 * MESSAGE that starts with the sequence number.
 *
 * @module
 */
import { type CommandResult, type Container, delay } from "./harness.ts";
import { installScript } from "./_bundle.ts";

const DENO = "/usr/lib/containering-systemd/deno";
/** Where the writer is copied in the container. */
export const FLOOD_JS = "/opt/flood.js";

/**
 * Copies the flood writer into the container.
 *
 * @throws {Error} If bundling or `docker cp` fails.
 */
export function installFlood(c: Container): Promise<void> {
  return installScript(c, "tests/_flood_writer.ts", FLOOD_JS);
}

/** One flood. */
export interface FloodSpec {
  /** The flood's name: unit `flood-<name>.service`, identifier `flood-<name>`. */
  name: string;
  /** How many entries. */
  count: number;
  /** Entries a second; absent: as fast as journald takes them. */
  rate?: number;
  /** MESSAGE size in bytes for a burst (at least 16). @default 16 */
  size?: number;
  /** Extra unit properties, e.g. `LogRateLimitBurst=1000`. By default journald's rate
   * limit is switched off for the unit (`LogRateLimitIntervalSec=0`). */
  properties?: string[];
}

/** The identifier (and unit name without `.service`) of a flood. */
export function floodIdent(name: string): string {
  return `flood-${name}`;
}

/**
 * Starts floods as transient units (they run in parallel).
 *
 * @throws {Error} If `systemd-run` fails.
 */
export async function startFloods(c: Container, specs: FloodSpec[]): Promise<void> {
  await Promise.all(specs.map(async (s) => {
    const ident = floodIdent(s.name);
    const props = s.properties ?? ["LogRateLimitIntervalSec=0"];
    const mode = s.rate === undefined
      ? ["burst", String(s.count), ident, String(s.size ?? 16)]
      : ["paced", String(s.count), ident, String(s.rate)];
    const r = await c.exec([
      "systemd-run",
      `--unit=${ident}`,
      "--collect",
      "--quiet",
      ...props.flatMap((p) => ["-p", p]),
      DENO,
      "run",
      "-A",
      "--no-config",
      "--cached-only",
      FLOOD_JS,
      ...mode,
    ]);
    if (r.code !== 0) throw new Error(`systemd-run ${ident} failed: ${r.stderr.trim()}`);
  }));
}

/**
 * Waits until the flood units have finished.
 *
 * @throws {Error} After `timeoutMs`, naming the units still running.
 */
export async function waitFloods(
  c: Container,
  specs: FloodSpec[],
  timeoutMs = 120_000,
): Promise<void> {
  const units = specs.map((s) => `${floodIdent(s.name)}.service`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.exec(["systemctl", "is-active", ...units]);
    const states = r.stdout.trim().split("\n");
    const busy = units.filter((_, i) => ["active", "activating"].includes(states[i] ?? ""));
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`floods still running: ${busy.join(", ")}`);
    await delay(200);
  }
}

/** A flood line of the container's log, parsed. */
export interface FloodLine {
  /** SYSLOG_IDENTIFIER, e.g. `flood-a-1`. */
  ident: string;
  /** The sequence number. */
  seq: number;
}

const SHORT = /^\S+ \S+ (flood-[\w.-]+)\[\d+\]: ( *\d+)/;

/**
 * Parses one line of the agent's output (`json` or a `short-*` format) if it is a flood
 * entry.
 *
 * @returns The identifier and sequence number, or null for any other line.
 */
export function parseFloodLine(line: string): FloodLine | null {
  if (line.startsWith("{")) {
    if (!line.includes('"flood-')) return null;
    const e = JSON.parse(line) as Record<string, unknown>;
    const ident = e["SYSLOG_IDENTIFIER"];
    const msg = e["MESSAGE"];
    if (typeof ident !== "string" || !ident.startsWith("flood-") || typeof msg !== "string") {
      return null;
    }
    return { ident, seq: Number(msg.slice(0, 10)) };
  }
  const m = SHORT.exec(line);
  return m ? { ident: m[1]!, seq: Number(m[2]) } : null;
}

/** Sequence numbers seen per identifier in `text` (lines of the agent's output). */
export function floodSeqs(text: string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const line of text.split("\n")) {
    const f = parseFloodLine(line);
    if (f === null) continue;
    let a = seen.get(f.ident);
    if (a === undefined) seen.set(f.ident, a = []);
    a.push(f.seq);
  }
  return seen;
}

/** Runs a command somewhere and returns its result, e.g. `(cmd) => c.exec(cmd)`. */
export type Exec = (cmd: string[]) => Promise<CommandResult>;

/**
 * The sequence numbers journald stored for each flood, read with journalctl.
 *
 * @param exec Where journalctl runs, e.g. `(cmd) => c.exec(cmd)`.
 * @param names The floods.
 * @param directory A journal directory (`journalctl -D`) instead of the system journal.
 * @returns The sequence numbers by flood name.
 */
export async function journalSeqs(
  exec: Exec,
  names: string[],
  directory?: string,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of names) {
    const r = await exec([
      "journalctl",
      ...(directory ? ["-D", directory] : []),
      "--no-pager",
      "-o",
      "cat",
      `SYSLOG_IDENTIFIER=${floodIdent(name)}`,
    ]);
    if (r.code !== 0) throw new Error(`journalctl failed: ${r.stderr.trim()}`);
    out.set(
      name,
      r.stdout.split("\n").filter((l) => /^ *\d+/.test(l.slice(0, 10))).map((l) =>
        Number(l.slice(0, 10))
      ),
    );
  }
  return out;
}

/** What reached the log of one flood, against what journald stored. */
export interface Tally {
  /** Entries journald stored (distinct sequence numbers in the journal). */
  stored: number;
  /** Lines in the container's log. */
  seen: number;
  /** Stored entries missing from the log. */
  lost: number;
  /** Lines beyond the first of each sequence number. */
  duplicated: number;
  /** Sequence numbers in the log that the journal does not have. */
  unknown: number;
}

/**
 * Compares the log's sequence numbers with the journal's.
 *
 * @param stored The journal's sequence numbers for one flood.
 * @param seen The log's sequence numbers for the same flood.
 */
export function tally(stored: number[], seen: number[]): Tally {
  const inJournal = new Set(stored);
  const distinct = new Set(seen);
  let lost = 0;
  for (const s of inJournal) if (!distinct.has(s)) lost++;
  let unknown = 0;
  for (const s of distinct) if (!inJournal.has(s)) unknown++;
  return {
    stored: inJournal.size,
    seen: seen.length,
    lost,
    duplicated: seen.length - distinct.size,
    unknown,
  };
}

/**
 * Polls the container's stdout until every flood has at least as many distinct sequence
 * numbers as journald stored for it, or the time is up.
 *
 * @param stored The journal's sequence numbers per flood name.
 * @returns The log's sequence numbers per flood name (after the last poll).
 */
export async function waitForwarded(
  c: Container,
  stored: Map<string, number[]>,
  timeoutMs = 60_000,
): Promise<Map<string, number[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = floodSeqs((await c.logs()).stdout);
    const byName = new Map(
      [...stored.keys()].map((n) => [n, seen.get(floodIdent(n)) ?? []] as const),
    );
    const done = [...stored].every(([n, s]) => new Set(byName.get(n)).size >= new Set(s).size);
    if (done || Date.now() > deadline) return byName;
    await delay(250);
  }
}

/**
 * Describes where entries went missing, for a failing test's output: for the first few
 * stored sequence numbers missing from the log, the entry as journald stored it
 * (`journalctl -o export`: cursor, timestamps, PID) and the log lines of the same flood
 * just before and after the gap.
 *
 * @param c The container.
 * @param name The flood.
 * @param stored The journal's sequence numbers for the flood.
 * @param seen The log's sequence numbers for the flood.
 * @returns Text to print; "" when nothing is missing.
 */
export async function describeLoss(
  c: Container,
  name: string,
  stored: number[],
  seen: number[],
): Promise<string> {
  const have = new Set(seen);
  const missing = [...new Set(stored)].filter((s) => !have.has(s)).sort((a, b) => a - b);
  if (missing.length === 0) return "";
  const ident = floodIdent(name);
  const all = (await c.logs()).stdout.split("\n");
  const log = all.filter((l) => l.includes(`${ident}[`));
  const out = [`${ident}: ${missing.length} missing, first ${missing.slice(0, 10).join(" ")}`];
  for (const seq of missing.slice(0, 3)) {
    const j = await c.exec([
      "journalctl",
      "--no-pager",
      "-o",
      "export",
      `SYSLOG_IDENTIFIER=${ident}`,
      "--grep",
      `^ *${seq}([^0-9]|$)`,
    ]);
    const fields = j.stdout.split("\n");
    const usec = Number(fields.find((l) => l.startsWith("__REALTIME_TIMESTAMP="))?.slice(21));
    out.push(
      `  ${seq} in the journal: ` +
        fields.filter((l) => /^(__CURSOR|__REALTIME_TIMESTAMP|_PID)=/.test(l)).join(" "),
    );
    if (Number.isFinite(usec)) {
      // Every entry journald stored within 20 ms of it, with its sequence number.
      const around = await c.exec([
        "journalctl",
        "--no-pager",
        "-o",
        "export",
        `--since=@${((usec - 20_000) / 1e6).toFixed(6)}`,
        `--until=@${((usec + 20_000) / 1e6).toFixed(6)}`,
      ]);
      out.push("  the journal within 20 ms (cursor i=, identifier, message):");
      for (const e of around.stdout.split("\n\n")) {
        const f = (k: string) =>
          e.split("\n").find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1);
        const i = /;i=([0-9a-f]+);/.exec(f("__CURSOR") ?? "")?.[1];
        if (i) out.push(`    ${i} ${f("SYSLOG_IDENTIFIER")} ${(f("MESSAGE") ?? "").slice(0, 40)}`);
      }
    }
    const at = log.findIndex((l) => (parseFloodLine(l)?.seq ?? -1) > seq);
    out.push(
      `  log lines around it:`,
      ...log.slice(Math.max(0, at - 3), at + 2).map((l) => `    ${l}`),
    );
    // Every line of the log between the flood's lines before and after the gap.
    const from = at > 0 ? all.indexOf(log[at - 1]!) : -1;
    const to = at >= 0 ? all.indexOf(log[at]!, from + 1) : -1;
    if (from >= 0 && to > from) {
      out.push(`  the log between them (${to - from - 1} lines):`);
      out.push(
        ...all.slice(from + 1, Math.min(to, from + 41)).map((l) => `    | ${l.slice(0, 160)}`),
      );
    }
  }
  // The journal's files: an archived file's name holds its first entry's number (hex).
  const files = await c.sh("ls /run/log/journal/*/ /var/log/journal/*/ 2>/dev/null");
  out.push("  journal files:", ...files.stdout.trim().split("\n").map((l) => `    ${l}`));
  // The agent's own lines (its start lines say where each run resumed).
  const agent = await c.exec([
    "journalctl",
    "--no-pager",
    "-o",
    "short-precise",
    "-u",
    "journalagent",
  ]);
  out.push(
    "  journalagent.service:",
    ...agent.stdout.trim().split("\n").slice(-30).map((l) => `    ${l}`),
  );
  return out.join("\n");
}

/** Sums tallies. */
export function sumTallies(tallies: Tally[]): Tally {
  return tallies.reduce((a, t) => ({
    stored: a.stored + t.stored,
    seen: a.seen + t.seen,
    lost: a.lost + t.lost,
    duplicated: a.duplicated + t.duplicated,
    unknown: a.unknown + t.unknown,
  }), { stored: 0, seen: 0, lost: 0, duplicated: 0, unknown: 0 });
}

/** The main PID of the agent (0 if it is not running). */
export async function agentPid(c: Container): Promise<number> {
  const r = await c.exec(["systemctl", "show", "-p", "MainPID", "--value", "journalagent"]);
  return Number(r.stdout.trim());
}

/** A process's resident anonymous memory in KiB (/proc/PID/status RssAnon), or 0. */
export async function rssAnonKiB(c: Container, pid: number): Promise<number> {
  const r = await c.exec(["cat", `/proc/${pid}/status`]);
  const m = /^RssAnon:\s+(\d+) kB/m.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

/**
 * SIGKILLs the agent's main process `times` times, `gapS` seconds apart (skipping a
 * moment when the unit restarts and has no main process).
 *
 * @param c The container.
 * @param times How many kills.
 * @param gapS Seconds before each kill.
 * @returns How many kills were sent.
 */
export async function killAgent(c: Container, times: number, gapS: number): Promise<number> {
  const r = await c.sh(
    `for i in $(seq ${times}); do sleep ${gapS}; ` +
      `p=$(systemctl show -p MainPID --value journalagent); ` +
      // MainPID is 0 while the unit restarts; `kill -9 0` would hit this shell.
      `if [ "$p" -gt 1 ]; then kill -9 "$p" && echo killed; fi; done`,
  );
  return r.stdout.split("\n").filter((l) => l === "killed").length;
}
