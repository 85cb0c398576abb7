/**
 * Keeps the cursor (sd_journal_get_cursor(3)) of the last entry that fully reached the
 * output, in a small file that is overwritten in place: one pwrite(2) of a fixed-size
 * record (the cursor on one line, the staging slot on the next (see staging.ts), then
 * newlines up to {@link RECORD_SIZE} bytes) at offset 0. A
 * write of less than a page into the page cache is done entirely or not at all when
 * the process is killed (a fatal signal is acted upon when the system call returns), so
 * a reader killed at any moment leaves either the old cursor or the new one. Saving
 * costs one system call, little enough to do after every write to the output, and the
 * record can be prepared ({@link CursorStore.stage}) before that write so that only the
 * system call itself ({@link CursorStore.commit}) follows it.
 *
 * The default place, /run/journalagent/cursor, is on a tmpfs: it survives restarts of
 * the agent (the unit sets RuntimeDirectoryPreserve=yes) and `systemctl daemon-reexec`,
 * and is gone at the next boot of the container, which makes the agent start from the
 * first entry of that boot. No fsync(2): the file has to survive the process, not the
 * machine.
 *
 * @module
 */
import { cString, libc, OsError } from "../../ffi/libc.ts";
import { O_CLOEXEC, O_CREAT, O_RDWR } from "../../ffi/linux.ts";

/** The size of the record written; a cursor is about 140 bytes. */
export const RECORD_SIZE = 512;
/** sd-journal cursors are `key=value` pairs joined by `;`, values in hex. */
const CURSOR_SYNTAX = /^[a-z]=[0-9a-f]+(;[a-z]=[0-9a-f]+)*$/;
const NEWLINE = 10;

/** What a saved record holds. */
export interface SavedPosition {
  /** The cursor of the last entry committed. */
  cursor: string;
  /** The staging slot holding the batch that ends with it (0 or 1), -1 if none. */
  slot: number;
  /** The cursor before that batch (where to resume if the slot was lost), or null. */
  previous: string | null;
}

/** Reads and writes the saved cursor at one path. */
export class CursorStore implements Disposable {
  readonly #path: string;
  #fd = -1;
  #staged = new Uint8Array(RECORD_SIZE);
  #hasStaged = false;
  #encoder = new TextEncoder();

  /**
   * Opens nothing yet; the file is read by {@link load} and written by {@link commit}.
   *
   * @param path The cursor file; it and its directory are created on the first save.
   */
  constructor(path: string) {
    this.#path = path;
  }

  /** The cursor file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * The saved cursor and slot.
   *
   * @returns The record, or null if none is saved or the file does not hold a cursor (a
   *   file that is not a cursor is treated as none, so that the agent starts at the
   *   beginning of the boot rather than not at all).
   * @throws {Deno.errors.PermissionDenied} If the file cannot be read (other I/O
   *   errors too, except NotFound).
   */
  load(): SavedPosition | null {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.#path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    const [first = "", second = "", third = ""] = text.split("\n", 3);
    const cursor = first.trim();
    if (!CURSOR_SYNTAX.test(cursor) || cursor.length >= RECORD_SIZE) return null;
    const slot = /^slot=([01])$/.exec(second.trim())?.[1];
    const previous = /^previous=(.*)$/.exec(third.trim())?.[1] ?? "";
    return {
      cursor,
      slot: slot === undefined ? -1 : Number(slot),
      previous: CURSOR_SYNTAX.test(previous) ? previous : null,
    };
  }

  /**
   * Prepares the record for `cursor`, to be written by {@link commit}.
   *
   * @param cursor A cursor from sd_journal_get_cursor(3).
   * @param slot The staging slot that holds the batch ending with it, or -1.
   * @param previous The cursor before that batch, or null.
   * @throws {TypeError} If `cursor` is not a cursor or the record would be too long.
   */
  stage(cursor: string, slot = -1, previous: string | null = null): void {
    if (!CURSOR_SYNTAX.test(cursor)) {
      throw new TypeError(`Not a journal cursor: ${JSON.stringify(cursor.slice(0, 80))}`);
    }
    const r = this.#staged;
    let line = cursor;
    if (slot === 0 || slot === 1) {
      line += `\nslot=${slot}`;
      if (previous !== null && CURSOR_SYNTAX.test(previous)) line += `\nprevious=${previous}`;
    }
    if (line.length >= RECORD_SIZE) {
      throw new TypeError(`Cursor record of ${line.length} bytes is too long`);
    }
    const { written } = this.#encoder.encodeInto(line, r);
    r.fill(NEWLINE, written);
    this.#hasStaged = true;
  }

  /**
   * Writes the staged record, replacing the saved cursor. Does nothing if none is staged.
   *
   * @throws {OsError} If the file cannot be opened or written.
   */
  commit(): void {
    if (!this.#hasStaged) return;
    if (this.#fd < 0) this.#open();
    const n = Number(libc().pwrite(this.#fd, this.#staged, BigInt(RECORD_SIZE), 0n));
    if (n !== RECORD_SIZE) {
      throw new OsError(`Cannot write the cursor to "${this.#path}"`);
    }
    this.#hasStaged = false;
  }

  /**
   * Saves `cursor` ({@link stage} then {@link commit}).
   *
   * @param cursor A cursor from sd_journal_get_cursor(3).
   * @param slot The staging slot, or -1.
   * @param previous The cursor before the batch, or null.
   * @throws {TypeError} If `cursor` is not a cursor.
   * @throws {OsError} If the file cannot be written.
   */
  save(cursor: string, slot = -1, previous: string | null = null): void {
    this.stage(cursor, slot, previous);
    this.commit();
  }

  /** Removes the saved cursor (the next start begins at the first entry of the boot). */
  clear(): void {
    this.close();
    try {
      Deno.removeSync(this.#path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  /** Closes the file. Safe to call twice. */
  close(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }

  /** Closes the file. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Opens (creates) the cursor file now, so that an unusable path is found at start
   * rather than after the first batch.
   *
   * @throws {OsError} If it cannot be opened for writing.
   * @throws {Deno.errors.PermissionDenied} If its directory cannot be created.
   */
  open(): void {
    if (this.#fd < 0) this.#open();
  }

  #open(): void {
    const dir = this.#path.slice(0, this.#path.lastIndexOf("/")) || "/";
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = libc().open(cString(this.#path), O_RDWR | O_CREAT | O_CLOEXEC, 0o600);
    if (fd < 0) throw new OsError(`Cannot open "${this.#path}"`);
    this.#fd = fd;
  }
}
