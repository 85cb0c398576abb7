/**
 * The read path: from the journal's current position, entry by entry, to formatted,
 * filtered lines in output buffers, one path for every format.
 *
 * @module
 */
import { JournalError } from "../../ffi/libsystemd.ts";
import { UnitFilter } from "./filter.ts";
import { EntryFields } from "./entry.ts";
import { cursorPosition, type JournalPosition } from "./gap.ts";
import type { Journal } from "./journal.ts";

/** The journal calls {@link EntryReader} makes (see journal.ts). */
export type ReaderJournal = Pick<
  Journal,
  "next" | "previous" | "cursor" | "seekCursor" | "readEntry"
>;

/**
 * How entries become lines: a function appending an entry's line to a buffer, and
 * whether it needs every field of the entry (else only the known ones are read).
 */
export interface EntryFormat<B> {
  /** Appends `entry`'s line, newline-terminated, to `out`. */
  write: (entry: EntryFields, out: B) => unknown;
  /** Whether `write` needs every field (sd_journal_enumerate_data(3) of all fields). */
  allFields: boolean;
}

/** Options for {@link EntryReader}. */
export interface ReaderOptions<B> {
  /** How entries become lines (see format/formats.ts). */
  format: EntryFormat<B>;
  /** Include only entries about a unit matching one of these globs (as `journalctl -u`
   * matches, see {@link UnitFilter}). @default all */
  units?: string[];
  /** Exclude entries about a unit matching one of these globs. @default none */
  excludeUnits?: string[];
  /** Forward only entries with PRIORITY <= this (0 emerg .. 7 debug); an entry without
   * a valid PRIORITY counts as 6 (info). @default 7 */
  maxPriority?: number;
  /** Entries with PRIORITY <= this go to `stderr` instead of `stdout`; -1 = never.
   * @default -1 */
  stderrPriority?: number;
  /** Extra fields the format writes (`collector`, `logfmt`). @default none */
  extraFields?: string[];
  /** Tells which entries journald has finished writing (tail_scout.ts,
   * journald_activity.ts): an entry is read only once an entry after it was visible, or
   * journald was idle; else it is left for a later fill. @default none: every entry is
   * taken as it reads */
  writer?: WriterProgress;
  /** The clock, in ms. @default performance.now */
  now?: () => number;
}

/** What the reader asks about journald's progress. */
export interface WriterProgress {
  /** The newest entry visible now (every entry before it is completely written), or
   * null if unknown. Asked once per fill. */
  newest(): JournalPosition | null;
  /** Whether journald is idle now (every visible entry is completely written). */
  idle(): boolean;
}

/** How long the newest entry is left for later while journald stays busy, at most, in ms
 * (then it is read as it is: journald may have been stopped halfway). */
export const TAIL_HOLD_LIMIT_MS = 1000;

/**
 * The current entry's cursor, or null where the entry cannot be read (EBADMSG, seen on
 * an entry of a file journald was vacuuming): the sequence check then skips a batch
 * rather than stop the agent.
 */
function cursorOrNull(j: ReaderJournal): string | null {
  try {
    return j.cursor();
  } catch (e) {
    if (e instanceof JournalError) return null;
    throw e;
  }
}

/** The result of {@link EntryReader.fill}. */
export interface FillResult {
  /** Entries consumed (written, filtered out, or unreadable and skipped). */
  entries: number;
  /** The cursor of the last consumed entry, or null if none was consumed. */
  cursor: string | null;
  /** The cursor of the first consumed entry, or null if none was consumed. */
  firstCursor: string | null;
  /** Entries consumed but skipped because they could not be read (EBADMSG, EADDRNOTAVAIL). */
  unreadable: number;
  /** Whether the entry at the tail was left for a later fill (journald was still busy). */
  held: boolean;
}

/**
 * Reads entries from a {@link Journal} and appends each one's formatted line to an
 * output buffer.
 *
 * @example
 * ```ts
 * // Reads the system journal (libsystemd.so.0): the first entries, as journalctl -o short-iso.
 * import { Journal } from "./journal.ts";
 * import { OutputBuffer } from "../format/buffer.ts";
 * import { entryFormat } from "../format/formats.ts";
 * import { EntryReader } from "./reader.ts";
 *
 * using j = Journal.open();
 * j.seekHead();
 * const r = new EntryReader(j, { format: entryFormat("short-iso") });
 * const out = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
 * r.fill(out, 1 << 20);
 * ```
 */
export class EntryReader<B extends { length: number }> {
  #journal: ReaderJournal;
  #entry = new EntryFields();
  #format: (entry: EntryFields, out: B) => unknown;
  #full: boolean;
  /** The unit filter, or null when it lets every entry through. */
  #filter: UnitFilter | null;
  #maxPriority: number;
  #stderrPriority: number;
  #usePriority: boolean;
  #writer: WriterProgress | null;
  #now: () => number;
  /** The entry at the tail left for later, and since when (clock ms). */
  #held: { cursor: string; since: number } | null = null;

  /**
   * Prepares reading from `journal` with `options`.
   *
   * @param journal An open journal, positioned where reading starts.
   * @param options Format, filters and routing.
   * @throws {TypeError} If a glob is empty.
   * @throws {RangeError} If a priority is outside its range.
   */
  constructor(journal: ReaderJournal, options: ReaderOptions<B>) {
    this.#journal = journal;
    this.#format = options.format.write;
    this.#full = options.format.allFields;
    const filter = new UnitFilter(options);
    this.#filter = filter.empty ? null : filter;
    this.#maxPriority = options.maxPriority ?? 7;
    this.#stderrPriority = options.stderrPriority ?? -1;
    if (!Number.isInteger(this.#maxPriority) || this.#maxPriority < 0 || this.#maxPriority > 7) {
      throw new RangeError(`Maximum priority ${this.#maxPriority} is out of range 0..7`);
    }
    if (
      !Number.isInteger(this.#stderrPriority) || this.#stderrPriority < -1 ||
      this.#stderrPriority > 7
    ) {
      throw new RangeError(`Stderr priority ${this.#stderrPriority} is out of range -1..7`);
    }
    this.#usePriority = this.#maxPriority < 7 || this.#stderrPriority >= 0;
    this.#entry.setExtraNames(options.extraFields ?? []);
    this.#writer = options.writer ?? null;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Moves forward entry by entry (journal.next()) from the current position and appends
   * each entry's formatted line (newline-terminated) to out.stdout or out.stderr, until
   * their combined length reaches maxBytes or there is no next entry.
   * Filtered-out entries are consumed too. With {@link ReaderOptions.writer}, an entry
   * that may still be half written (the newest one while journald is busy) ends the fill
   * before it, unread, for a later fill.
   *
   * @param out The two buffers.
   * @param maxBytes Stop once this many bytes are buffered (a line is never split, so
   *   the buffers may end up longer by one line).
   * @returns Entries consumed, the cursors of the first and the last consumed entry
   *   (null if none), and whether an entry was left for later.
   * @throws {JournalError} If reading fails (other than an unreadable entry, which is
   *   skipped).
   */
  fill(out: { stdout: B; stderr: B }, maxBytes: number): FillResult {
    const j = this.#journal;
    const { stdout, stderr } = out;
    const writer = this.#writer;
    // Entries with a smaller sequence number than the newest one are complete.
    const newest = writer?.newest() ?? null;
    let entries = 0;
    let firstCursor: string | null = null;
    let unreadable = 0;
    // How many entries from the batch's first one are complete (numbers follow each
    // other within a batch: gap.ts checks it), and the cursor of the last of them.
    let complete = writer === null ? Infinity : 0;
    let lastComplete: string | null = null;
    while (stdout.length + stderr.length < maxBytes) {
      if (!j.next()) break;
      // One cursor per batch for the sequence check (gap.ts), none per entry.
      if (++entries === 1) {
        firstCursor = cursorOrNull(j);
        const first = firstCursor === null ? undefined : cursorPosition(firstCursor);
        if (first !== undefined && newest !== null && first.seqnumId === newest.seqnumId) {
          complete = Math.max(0, newest.seqnum - first.seqnum);
        }
      }
      if (entries > complete && !writer!.idle()) {
        const cursor = j.cursor();
        if (!this.#heldTooLong(cursor)) {
          const before = entries - 1 === complete ? lastComplete : null;
          return this.#leave(cursor, entries - 1, firstCursor, unreadable, before);
        }
      }
      if (!this.#take(out)) unreadable++;
      if (entries === complete) lastComplete = j.cursor();
    }
    if (entries > 0) this.#held = null;
    return {
      entries,
      cursor: entries > 0 ? j.cursor() : null,
      firstCursor,
      unreadable,
      held: false,
    };
  }

  /**
   * Ends a fill before the current entry (of `cursor`), which the next fill reads first. `before` is
   * the cursor of the entry before it if known (else found with a step back, which
   * costs sd-journal a change of direction).
   */
  #leave(
    cursor: string,
    entries: number,
    firstCursor: string | null,
    unreadable: number,
    before: string | null,
  ): FillResult {
    const j = this.#journal;
    let last: string | null = entries > 0 ? before : null;
    if (entries > 0 && last === null) {
      j.previous();
      last = j.cursor();
    }
    // sd_journal_seek_cursor(3), then next(), lands on the cursor's entry.
    j.seekCursor(cursor);
    return {
      entries,
      cursor: last,
      firstCursor: entries > 0 ? firstCursor : null,
      unreadable,
      held: true,
    };
  }

  /** Whether the tail entry `cursor` has been left for later long enough; starts the clock. */
  #heldTooLong(cursor: string): boolean {
    const now = this.#now();
    if (this.#held?.cursor !== cursor) this.#held = { cursor, since: now };
    return now - this.#held.since >= TAIL_HOLD_LIMIT_MS;
  }

  /** Reads the current entry and appends its line if it passes the filters; false if it
   * could not be read. */
  #take(out: { stdout: B; stderr: B }): boolean {
    const entry = this.#entry;
    if (!this.#journal.readEntry(entry, this.#full)) return false;
    if (this.#filter !== null && !this.#filter.accepts(entry)) return true;
    if (this.#usePriority) {
      const prio = entry.priority();
      if (prio <= this.#maxPriority) {
        this.#format(entry, prio <= this.#stderrPriority ? out.stderr : out.stdout);
      }
    } else this.#format(entry, out.stdout);
    return true;
  }
}
