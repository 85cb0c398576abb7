/**
 * Telling when journald removed entries before the agent forwarded them (its runtime
 * journal is capped, so a stalled log reader or an agent kept down loses the oldest
 * entries when journald vacuums), from the entries' sequence numbers.
 *
 * journald numbers the entries it writes 1, 2, 3, ... within one sequence (the seqnum
 * ID); with `Storage=volatile` all of them go into one stream of files. A cursor
 * (sd_journal_get_cursor(3)) carries the sequence as `s=` and the number in hex as `i=`,
 * on every libsystemd version (sd_journal_get_seqnum(3) exists only since 254). The agent
 * reads every entry and filters in its own code, so two entries read one after the other
 * differ by exactly 1 unless entries in between are gone. Checked once per batch: the
 * first entry against the last one before it, and the batch's span against its count.
 *
 * @module
 */

/** An entry's place in journald's sequence, and its time. */
export interface JournalPosition {
  /** The sequence (`s=` of the cursor, 32 hex digits). */
  seqnumId: string;
  /** The sequence number (`i=`). */
  seqnum: number;
  /** The wall-clock time in microseconds since the epoch (`t=`). */
  realtimeUsec: number;
}

/**
 * Reads an entry's position from its cursor (`s=ID;i=HEX;b=BOOT;m=HEX;t=HEX;x=HEX`, see
 * sd_journal_get_cursor(3); the format is documented as opaque, but stable since v38).
 *
 * @param cursor A cursor string.
 * @returns The position, or undefined if `s=`, `i=` or `t=` is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = cursorPosition("s=ab;i=1f;b=cd;m=10;t=5f5e100;x=ef");
 * assert.deepEqual(p, { seqnumId: "ab", seqnum: 31, realtimeUsec: 100000000 });
 * ```
 */
export function cursorPosition(cursor: string): JournalPosition | undefined {
  let seqnumId: string | undefined;
  let seqnum: number | undefined;
  let realtimeUsec: number | undefined;
  for (const part of cursor.split(";")) {
    const value = part.slice(2);
    if (part.startsWith("s=")) seqnumId = value;
    else if (part.startsWith("i=")) seqnum = parseInt(value, 16);
    else if (part.startsWith("t=")) realtimeUsec = parseInt(value, 16);
  }
  if (seqnumId === undefined || seqnum === undefined || realtimeUsec === undefined) {
    return undefined;
  }
  if (!Number.isSafeInteger(seqnum) || !Number.isSafeInteger(realtimeUsec)) return undefined;
  return { seqnumId, seqnum, realtimeUsec };
}

/** Entries that were gone before the agent read them. */
export interface Gap {
  /** How many; at least this many when {@link exact} is false. */
  lost: number;
  /** Whether {@link lost} is exact (false when the sequence changed in between). */
  exact: boolean;
  /** The last entry read before the gap, or undefined if the gap is at the start. */
  after?: JournalPosition;
  /** The first entry read after the gap. */
  before: JournalPosition;
}

/**
 * The gap between two entries read one after the other.
 *
 * @param previous The entry read before, or undefined at the start of the journal (the
 *   first entry of a sequence is number 1).
 * @param next The entry read after it.
 * @returns The gap, or undefined if none.
 */
export function gapBetween(
  previous: JournalPosition | undefined,
  next: JournalPosition,
): Gap | undefined {
  if (previous === undefined) {
    return next.seqnum > 1 ? { lost: next.seqnum - 1, exact: true, before: next } : undefined;
  }
  if (previous.seqnumId !== next.seqnumId) {
    // A new sequence: every file of the old one is gone (and what followed `previous` in
    // it cannot be counted), or journald started over.
    return next.seqnum > 1
      ? { lost: next.seqnum - 1, exact: false, after: previous, before: next }
      : undefined;
  }
  const lost = next.seqnum - previous.seqnum - 1;
  return lost > 0 ? { lost, exact: true, after: previous, before: next } : undefined;
}

/**
 * The gap inside a run of `entries` entries read one after the other, from `first` to
 * `last`.
 *
 * @param first The first entry of the run.
 * @param last The last entry of the run.
 * @param entries How many entries were read, both ends included.
 * @returns The gap (somewhere between `first` and `last`), or undefined if none or if
 *   the run spans two sequences.
 */
export function gapWithin(
  first: JournalPosition,
  last: JournalPosition,
  entries: number,
): Gap | undefined {
  if (first.seqnumId !== last.seqnumId) return undefined;
  const lost = last.seqnum - first.seqnum + 1 - entries;
  return lost > 0 ? { lost, exact: true, after: first, before: last } : undefined;
}

/** Formats microseconds since the epoch as ISO 8601 UTC with microseconds. */
export function isoMicros(usec: number): string {
  const ms = Math.floor(usec / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-30T06:01:02.123Z
  return `${iso.slice(0, -1)}${String(usec % 1000).padStart(3, "0")}Z`;
}

/**
 * The line the agent writes on the container's stderr for a gap.
 *
 * @param gap The gap.
 * @returns e.g. `journalagent: 21500 journal entries lost between 2026-...Z and
 *   2026-...Z: journald removed them before they were forwarded (...)`, no newline.
 */
export function formatGap(gap: Gap): string {
  const count = `${gap.exact ? "" : "at least "}${gap.lost} journal ${
    gap.lost === 1 ? "entry" : "entries"
  } lost`;
  const when = gap.after
    ? `between ${isoMicros(gap.after.realtimeUsec)} and ${isoMicros(gap.before.realtimeUsec)}`
    : `before ${isoMicros(gap.before.realtimeUsec)}`;
  return `journalagent: ${count} ${when}: journald removed them before they were ` +
    "forwarded (the log reader or the agent was too slow for the journal's size; " +
    'see docs/agent.md, "Memory")';
}

/**
 * The line for entries the agent read past but could not decode (sd-journal returned
 * EBADMSG or EADDRNOTAVAIL for them), so that skipping them is never silent either.
 *
 * @param count How many.
 * @returns e.g. `journalagent: 1 journal entry could not be read and was skipped`.
 */
export function formatUnreadable(count: number): string {
  return `journalagent: ${count} journal ${
    count === 1 ? "entry could not be read and was" : "entries could not be read and were"
  } skipped (a damaged or vanishing journal file)`;
}

/**
 * Follows the sequence numbers batch by batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const g = new GapDetector({ fromStart: true });
 * assert.deepEqual(g.check("s=a;i=1;t=1", "s=a;i=3;t=3", 3), []);
 * assert.equal(g.check("s=a;i=6;t=6", "s=a;i=6;t=6", 1)[0]?.lost, 2);
 * ```
 */
export class GapDetector {
  #last: JournalPosition | undefined;
  #known: boolean;

  /**
   * @param start Where reading starts: `previous`, the entry read last before (from the
   *   saved cursor); or `fromStart`, the start of the journal (the first entry must be
   *   number 1). With neither, the first batch is checked only within itself.
   */
  constructor(start: { previous?: JournalPosition; fromStart?: boolean }) {
    this.#last = start.previous;
    this.#known = start.previous !== undefined || start.fromStart === true;
  }

  /**
   * Checks a batch and remembers its last entry.
   *
   * @param firstCursor The cursor of the batch's first entry, or null if it could not be
   *   read (then only the batch's last entry is remembered).
   * @param lastCursor The cursor of its last entry.
   * @param entries How many entries the batch read.
   * @returns The gaps found (before the batch, inside it), usually none.
   */
  check(firstCursor: string | null, lastCursor: string, entries: number): Gap[] {
    const first = firstCursor === null ? undefined : cursorPosition(firstCursor);
    const last = cursorPosition(lastCursor);
    const known = this.#known;
    this.#known = last !== undefined;
    if (first === undefined || last === undefined) {
      this.#last = last;
      return [];
    }
    const gaps: Gap[] = [];
    const before = known ? gapBetween(this.#last, first) : undefined;
    if (before) gaps.push(before);
    const inside = gapWithin(first, last, entries);
    if (inside) gaps.push(inside);
    this.#last = last;
    return gaps;
  }
}

/** The journal calls {@link gapStart} needs (see journal.ts). */
export interface GapStartJournal {
  /** sd_journal_previous(3). */
  previous(): boolean;
  /** sd_journal_get_cursor(3). */
  cursor(): string;
  /** Positions before the first entry of the current boot again. */
  seekBootStart(): void;
}

/**
 * Where the sequence check starts, right after the agent positioned the journal.
 *
 * @param journal The journal, positioned by `resume()` in main.ts.
 * @param from Where it resumed: after or at the successor of `cursor`, or at the start
 *   of the boot.
 * @param cursor The cursor resumed from, or null.
 * @returns For a resume, the cursor's entry; at the start of the boot, the last entry of
 *   an earlier boot if the journal has one (a persistent journal), else the start of the
 *   journal (number 1 must come first). The journal is left where it was.
 * @throws {JournalError} If the journal cannot be read.
 */
export function gapStart(
  journal: GapStartJournal,
  from: "after-cursor" | "at-cursor-successor" | "boot-start",
  cursor: string | null,
): { previous?: JournalPosition; fromStart?: boolean } {
  if (from !== "boot-start" || cursor !== null) {
    const previous = cursor === null ? undefined : cursorPosition(cursor);
    return previous ? { previous } : {};
  }
  if (!journal.previous()) {
    journal.seekBootStart();
    return { fromStart: true };
  }
  const previous = cursorPosition(journal.cursor());
  journal.seekBootStart();
  return previous ? { previous } : {};
}
