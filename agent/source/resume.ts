/**
 * Where forwarding resumes: right after the last entry written, or at the start of the
 * boot.
 *
 * @module
 */
import type { Journal } from "./journal.ts";

/** Where the agent resumed. */
export type ResumePoint = "after-cursor" | "at-cursor-successor" | "boot-start";

/**
 * Positions `journal` so that the next `journal.next()` returns the first entry not yet
 * written: right after the entry of `cursor` (sd_journal_seek_cursor(3), then
 * sd_journal_next(3) and sd_journal_test_cursor(3) to step over that entry), or, with
 * no cursor, before the first entry of the current boot.
 *
 * @param journal An open journal.
 * @param cursor The cursor of the last entry written, or null.
 * @returns Where it resumed: `after-cursor` (the entry was found), `at-cursor-successor`
 *   (that entry is gone, e.g. vacuumed; the next one after its position comes next), or
 *   `boot-start`.
 * @throws {JournalError} If the journal cannot be read.
 */
export function resume(journal: Journal, cursor: string | null): ResumePoint {
  if (cursor === null) {
    journal.seekBootStart();
    return "boot-start";
  }
  journal.seekCursor(cursor);
  if (journal.next() && journal.testCursor(cursor)) return "after-cursor";
  // The entry itself is gone: seek again so that next() lands on its closest successor.
  journal.seekCursor(cursor);
  return "at-cursor-successor";
}
