/**
 * The journal's newest entry, found by a second journal handle.
 *
 * journald writes entries one after the other on one thread, so once an entry is
 * visible, every entry before it is completely written (see journald_activity.ts for why
 * the newest one may not be). The reader asks the scout for the newest entry before it
 * reads a batch: the entries before that one can be read without doubt. A second handle
 * is used so that the reader's position is not lost: sd-journal makes a change of
 * direction costly (next, previous, next: about 14 µs an entry, measured, against 1 µs
 * for a next), and the scout's seek to the tail costs the same whatever was appended.
 *
 * @module
 */
import { JournalError } from "../../ffi/libsystemd.ts";
import { cursorPosition, type JournalPosition } from "./gap.ts";
import type { Journal } from "./journal.ts";

/** The journal calls {@link TailScout} makes (see journal.ts). */
export type ScoutJournal = Pick<Journal, "process" | "seekTail" | "previous" | "cursor">;

/**
 * Follows the journal's tail.
 *
 * @example
 * ```ts ignore
 * // Reads the system journal (libsystemd.so.0).
 * import { Journal } from "./journal.ts";
 * using j = Journal.open();
 * const scout = new TailScout(j);
 * console.log(scout.newest()); // e.g. { seqnumId: "…", seqnum: 4711, realtimeUsec: … }
 * ```
 */
export class TailScout {
  readonly #journal: ScoutJournal;

  /** @param journal A journal handle of its own (not the reader's), with the same files. */
  constructor(journal: ScoutJournal) {
    this.#journal = journal;
  }

  /**
   * Moves to the journal's newest entry now, taking in new and rotated files first.
   *
   * @returns Its position, or null if the journal has no entry (or its cursor cannot be
   *   read).
   * @throws {JournalError} If the journal cannot be read.
   */
  newest(): JournalPosition | null {
    const j = this.#journal;
    j.process();
    j.seekTail();
    if (!j.previous()) return null;
    try {
      return cursorPosition(j.cursor()) ?? null;
    } catch (e) {
      if (!(e instanceof JournalError)) throw e;
      return null; // an entry of a file being removed: ask again next time
    }
  }
}
