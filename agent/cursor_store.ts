/**
 * Keeps the cursor (sd_journal_get_cursor(3)) of the last entry that fully reached the
 * output, in a file that is replaced atomically (written to a temporary file, then
 * rename(2)d over the old one), so that a reader killed at any moment finds either the
 * old cursor or the new one, never a torn one.
 *
 * The default place, /run/journalagent/cursor, is on a tmpfs: it survives restarts of
 * the agent (the unit sets RuntimeDirectoryPreserve=yes) and `systemctl daemon-reexec`,
 * and is gone at the next boot of the container, which makes the agent start from the
 * first entry of that boot. No fsync(2): the file only has to survive the process, not
 * the machine.
 *
 * @module
 */

/** Cursors are short ASCII (e.g. "s=...;i=...;b=...;m=...;t=...;x=..."): a sanity bound. */
const MAX_CURSOR_LENGTH = 4096;
/** sd-journal cursors are `key=value` pairs joined by `;`. */
const CURSOR_SYNTAX = /^[a-z]=[0-9a-f]+(;[a-z]=[0-9a-f]+)*$/;

/** Reads and writes the saved cursor at one path. */
export class CursorStore {
  readonly #path: string;
  readonly #tmp: string;
  #dirChecked = false;

  /**
   * @param path The cursor file; its directory is created on the first save if missing.
   */
  constructor(path: string) {
    this.#path = path;
    this.#tmp = `${path}.tmp`;
  }

  /** The cursor file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * The saved cursor.
   *
   * @returns The cursor, or null if none is saved or the file does not hold one (a
   *   file that is not a cursor is treated as none, so that the agent starts at the
   *   beginning of the boot rather than not at all).
   * @throws {Deno.errors.PermissionDenied} If the file cannot be read (other I/O
   *   errors too, except NotFound).
   */
  load(): string | null {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.#path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    const cursor = text.trim();
    if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_SYNTAX.test(cursor)) return null;
    return cursor;
  }

  /**
   * Saves `cursor`, replacing the previous one atomically.
   *
   * @param cursor A cursor from sd_journal_get_cursor(3).
   * @throws {TypeError} If `cursor` is not a cursor.
   * @throws {Deno.errors.PermissionDenied} If the file cannot be written (other I/O
   *   errors too).
   */
  save(cursor: string): void {
    if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_SYNTAX.test(cursor)) {
      throw new TypeError(`Not a journal cursor: ${JSON.stringify(cursor.slice(0, 80))}`);
    }
    if (!this.#dirChecked) {
      const dir = this.#path.slice(0, this.#path.lastIndexOf("/")) || "/";
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.#dirChecked = true;
    }
    Deno.writeTextFileSync(this.#tmp, `${cursor}\n`, { mode: 0o600 });
    Deno.renameSync(this.#tmp, this.#path);
  }

  /** Removes the saved cursor (the next start begins at the first entry of the boot). */
  clear(): void {
    try {
      Deno.removeSync(this.#path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}
