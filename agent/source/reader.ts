/**
 * The read path: from the journal's current position, entry by entry, to formatted,
 * filtered lines in output buffers, one path for every format.
 *
 * @module
 */
import { JournalError } from "../../ffi/libsystemd.ts";
import { UnitFilter } from "./filter.ts";
import { EntryFields } from "./entry.ts";
import type { Journal } from "./journal.ts";

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
}

/**
 * The current entry's cursor, or null where the entry cannot be read (EBADMSG, seen on
 * an entry of a file journald was vacuuming): the sequence check then skips a batch
 * rather than stop the agent.
 */
function cursorOrNull(j: Journal): string | null {
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
export class EntryReader<B extends { readonly length: number }> {
  #journal: Journal;
  #entry = new EntryFields();
  #format: (entry: EntryFields, out: B) => unknown;
  #full: boolean;
  #filter: UnitFilter;
  #maxPriority: number;
  #stderrPriority: number;
  #usePriority: boolean;

  /**
   * Prepares reading from `journal` with `options`.
   *
   * @param journal An open journal, positioned where reading starts.
   * @param options Format, filters and routing.
   * @throws {TypeError} If a glob is empty.
   * @throws {RangeError} If a priority is outside its range.
   */
  constructor(journal: Journal, options: ReaderOptions<B>) {
    this.#journal = journal;
    this.#format = options.format.write;
    this.#full = options.format.allFields;
    this.#filter = new UnitFilter(options);
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
  }

  /**
   * Moves forward entry by entry (journal.next()) from the current position and appends
   * each entry's formatted line (newline-terminated) to out.stdout or out.stderr, until
   * their combined length reaches maxBytes or there is no next entry.
   * Filtered-out entries are consumed too.
   *
   * @param out The two buffers.
   * @param maxBytes Stop once this many bytes are buffered (a line is never split, so
   *   the buffers may end up longer by one line).
   * @returns Entries consumed, and the cursors of the first and the last consumed entry
   *   (null if none).
   * @throws {JournalError} If reading fails (other than an unreadable entry, which is
   *   skipped).
   */
  fill(out: { stdout: B; stderr: B }, maxBytes: number): FillResult {
    const j = this.#journal;
    const entry = this.#entry;
    const format = this.#format;
    const filter = this.#filter.empty ? null : this.#filter;
    const usePriority = this.#usePriority;
    const maxPriority = this.#maxPriority;
    const stderrPriority = this.#stderrPriority;
    const { stdout, stderr } = out;
    let entries = 0;
    let firstCursor: string | null = null;
    let unreadable = 0;
    while (stdout.length + stderr.length < maxBytes) {
      if (!j.next()) break;
      // One cursor per batch for the sequence check (gap.ts), none per entry.
      if (++entries === 1) firstCursor = cursorOrNull(j);
      if (!j.readEntry(entry, this.#full)) {
        unreadable++;
        continue;
      }
      if (filter !== null && !filter.accepts(entry)) continue;
      if (usePriority) {
        const prio = entry.priority();
        if (prio > maxPriority) continue;
        format(entry, prio <= stderrPriority ? stderr : stdout);
      } else format(entry, stdout);
    }
    return { entries, cursor: entries > 0 ? j.cursor() : null, firstCursor, unreadable };
  }
}
