/**
 * Whether journald is idle, i.e. not in the middle of writing an entry.
 *
 * journald makes an entry visible to readers (links it into the file's entry array)
 * before it links the entry's fields to their data objects. A data object that journald
 * has just created for this entry is, for a few instructions, in a state sd-journal
 * reads as bad (its `entry_offset` set, its `n_entries` still 0: the "Bad n_entries"
 * check of journal-file.c), and sd_journal_enumerate_data(3) then skips that field
 * without an error. If journald loses the CPU right there, a reader that reaches the
 * journal's tail in that moment reads the newest entry without its newest field, usually
 * MESSAGE: measured on systemd 252 and 257, 0 to 2 entries per 1,000,000 under load.
 * journald writes entries one after the other on one thread, so every entry but the
 * newest is complete, and the newest is complete once journald sleeps again, waiting for
 * the next message. This module tells the reader when that is (see reader.ts).
 *
 * @module
 */

/** The `comm` of journald's processes (proc(5) cuts it to 15 characters). */
const JOURNALD_COMM = "systemd-journal";
/** How often the PIDs are looked up again at most, in ms, while one cannot be read. */
const FIND_INTERVAL_MS = 1000;

/**
 * The state letter of a process from the text of its /proc/PID/stat (proc(5): the third
 * field, after the command name in parentheses, which may itself contain spaces and
 * parentheses).
 *
 * @param stat The text of /proc/PID/stat.
 * @returns The state letter (`R` running, `S` sleeping, `D` disk sleep, `T` stopped,
 *   `Z` zombie, ...), or undefined if the text is not a stat line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(procState("77 (systemd-journal) S 1 77 77 0 -1"), "S");
 * ```
 */
export function procState(stat: string): string | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0 || stat[close + 1] !== " ") return undefined;
  const state = stat[close + 2];
  return state !== undefined && /^[A-Za-z]$/.test(state) ? state : undefined;
}

/** Where {@link JournaldActivity} reads processes: the directory of proc(5). */
export interface ProcSource {
  /** The numeric entries of /proc (the PIDs). */
  pids(): Iterable<number>;
  /** The text of /proc/PID/`file`, or undefined if it cannot be read (gone, hidden). */
  read(pid: number, file: "comm" | "stat"): string | undefined;
}

/** The real /proc. */
export const PROC: ProcSource = {
  *pids() {
    for (const e of Deno.readDirSync("/proc")) {
      if (/^\d+$/.test(e.name)) yield Number(e.name);
    }
  },
  read(pid, file) {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/${file}`);
    } catch {
      return undefined;
    }
  },
};

/**
 * Tells whether every journald process of this PID namespace is asleep (state `S`: in
 * its event loop, between messages), so that the newest entry is completely written.
 * The PIDs are looked up once and again only when one is gone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fake = {
 *   pids: () => [1, 40],
 *   read: (pid: number, file: string) =>
 *     pid === 40 ? (file === "comm" ? "systemd-journal\n" : "40 (systemd-journal) S 1") : "init\n",
 * };
 * assert.equal(new JournaldActivity(fake).idle(), true);
 * ```
 */
export class JournaldActivity {
  readonly #proc: ProcSource;
  readonly #now: () => number;
  #pids: number[] | null = null;
  #blindAt = -Infinity;

  /**
   * @param proc Where processes are read. @default the real /proc
   * @param now The clock, in ms. @default performance.now
   */
  constructor(proc: ProcSource = PROC, now: () => number = () => performance.now()) {
    this.#proc = proc;
    this.#now = now;
  }

  /**
   * Whether journald is idle now.
   *
   * @returns true if every journald process alive sleeps in state `S`, or none is alive
   *   (then nothing writes; the next call looks again, so a successor started meanwhile
   *   is found before anything is read as complete on its account); false if one runs,
   *   waits on the disk, is stopped, or its state cannot be read.
   */
  idle(): boolean {
    // None alive last time (between a journald's exit and its successor's start, or after
    // the last one's exit at a stop): look again on every call, it is cheap and rare.
    if (this.#pids === null || this.#pids.length === 0) this.#find();
    let state = this.#state();
    // A PID gone or a zombie (journald restarted or exited): look again. If a state
    // stays unreadable (/proc mounted with hidepid=), look again at most once a second.
    if (state === "unknown" && this.#now() - this.#blindAt >= FIND_INTERVAL_MS) {
      this.#find();
      state = this.#state();
      if (state === "unknown") this.#blindAt = this.#now();
    }
    return state === "idle";
  }

  #state(): "idle" | "busy" | "unknown" {
    let busy = false;
    for (const pid of this.#pids!) {
      const state = procState(this.#proc.read(pid, "stat") ?? "");
      // Gone, or a zombie: that journald exited, and a successor may be writing already.
      if (state === undefined || state === "Z" || state === "X") return "unknown";
      // Any state but sleeping may be mid-entry.
      if (state !== "S") busy = true;
    }
    return busy ? "busy" : "idle";
  }

  #find(): void {
    const found: number[] = [];
    for (const pid of this.#proc.pids()) {
      if (this.#proc.read(pid, "comm")?.trim() !== JOURNALD_COMM) continue;
      // An exited journald not yet reaped is not the one that writes.
      const state = procState(this.#proc.read(pid, "stat") ?? "");
      if (state !== "Z" && state !== "X") found.push(pid);
    }
    this.#pids = found;
  }
}
