/**
 * An open sd-journal handle (sd-journal(3)) and the fast path that copies one entry's
 * fields into an {@link EntryFields}.
 *
 * @module
 */
import { cString, libc } from "../../ffi/libc.ts";
import { check, JournalError, libsystemd, type LibsystemdSymbols } from "../../ffi/libsystemd.ts";
import type { EntryFields } from "./entry.ts";
import { id128ToHex, parseId128 } from "./id128.ts";

/** SD_JOURNAL_LOCAL_ONLY: only journal files generated on the local machine. */
const SD_JOURNAL_LOCAL_ONLY = 1;

/** sd_journal_wait(3) results. */
export const SD_JOURNAL_NOP = 0;
/** New entries were appended. */
export const SD_JOURNAL_APPEND = 1;
/** Journal files were added or removed (rotation, vacuuming). */
export const SD_JOURNAL_INVALIDATE = 2;

/** Options for {@link Journal.open}. */
export interface JournalOpenOptions {
  /** Read the journal files in this directory (sd_journal_open_directory(3)) instead of
   * the system's. */
  directory?: string;
}

/**
 * An open sd-journal handle (sd_journal_open(3) with SD_JOURNAL_LOCAL_ONLY, data
 * threshold 0 so fields of any size come back whole).
 *
 * Not thread-safe: while {@link Journal.wait} runs on its worker thread, call nothing
 * else on the same handle.
 *
 * @example
 * ```ts
 * using j = Journal.open();
 * j.seekTail();
 * ```
 */
export class Journal implements Disposable {
  #lib: LibsystemdSymbols;
  #handle: Deno.PointerValue;
  // Out-parameters, reused: pointer/usec (8 bytes), length (8 bytes), id128 (16 bytes).
  #out1 = new BigUint64Array(1);
  #out2 = new BigUint64Array(1);
  #id = new Uint8Array(16);
  #enumerate: LibsystemdSymbols["sd_journal_enumerate_data"];
  #waiting = false;
  #watching = false;

  private constructor(lib: LibsystemdSymbols, handle: Deno.PointerValue) {
    this.#lib = lib;
    this.#handle = handle;
    this.#enumerate = lib.sd_journal_enumerate_available_data ?? lib.sd_journal_enumerate_data;
    check(lib.sd_journal_set_data_threshold(handle, 0n), "Cannot set the data threshold");
  }

  /**
   * Opens the local journal (or the files of one directory).
   *
   * @param options Where to read from.
   * @returns The open journal, positioned before its first entry.
   * @throws {JournalError} If sd_journal_open(3) fails, e.g. `Cannot open the journal: EACCES`.
   */
  static open(options: JournalOpenOptions = {}): Journal {
    const lib = libsystemd();
    const ret = new BigUint64Array(1);
    const r = options.directory === undefined
      ? lib.sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY)
      : lib.sd_journal_open_directory(ret, cString(options.directory), 0);
    check(
      r,
      options.directory === undefined
        ? "Cannot open the journal"
        : `Cannot open the journal directory "${options.directory}"`,
    );
    return new Journal(lib, Deno.UnsafePointer.create(ret[0]!));
  }

  #h(): Deno.PointerValue {
    if (this.#handle === null) throw new TypeError("The journal is closed");
    return this.#handle;
  }

  /** Positions before the first entry (sd_journal_seek_head(3)). */
  seekHead(): void {
    check(this.#lib.sd_journal_seek_head(this.#h()), "Cannot seek to the head");
  }

  /** Positions after the last entry (sd_journal_seek_tail(3)). */
  seekTail(): void {
    check(this.#lib.sd_journal_seek_tail(this.#h()), "Cannot seek to the tail");
  }

  /**
   * Positions at the entry of `cursor` or the closest one (sd_journal_seek_cursor(3));
   * call {@link next} and {@link testCursor} to check it is the same entry.
   *
   * @throws {JournalError} If the cursor cannot be parsed (EINVAL).
   */
  seekCursor(cursor: string): void {
    check(
      this.#lib.sd_journal_seek_cursor(this.#h(), cString(cursor)),
      `Cannot seek to cursor "${cursor}"`,
    );
  }

  /**
   * Positions before the first entry of boot `bootId` (default: the current boot,
   * sd_id128_get_boot(3)) with sd_journal_seek_monotonic_usec(bootId, 0).
   *
   * @param bootId 32 hex digits.
   * @throws {SyntaxError} If `bootId` is not a 128-bit ID.
   * @throws {JournalError} If the call fails.
   */
  seekBootStart(bootId?: string): void {
    const id = bootId === undefined ? new Uint8Array(16) : parseId128(bootId);
    if (bootId === undefined) check(this.#lib.sd_id128_get_boot(id), "Cannot get the boot ID");
    check(
      this.#lib.sd_journal_seek_monotonic_usec(this.#h(), id, 0n),
      "Cannot seek to the start of the boot",
    );
  }

  /**
   * Moves to the next entry (sd_journal_next(3)).
   *
   * @returns true if moved to an entry, false at the end.
   * @throws {JournalError} On a read error.
   */
  next(): boolean {
    const r = this.#lib.sd_journal_next(this.#handle);
    if (r < 0) check(r, "Cannot move to the next entry");
    return r > 0;
  }

  /** Moves to the previous entry (sd_journal_previous(3)); true if moved. */
  previous(): boolean {
    return check(this.#lib.sd_journal_previous(this.#h()), "Cannot move to the previous entry") >
      0;
  }

  /** Whether the current entry is the one of `cursor` (sd_journal_test_cursor(3)). */
  testCursor(cursor: string): boolean {
    return check(
      this.#lib.sd_journal_test_cursor(this.#h(), cString(cursor)),
      `Cannot test cursor "${cursor}"`,
    ) > 0;
  }

  /**
   * The current entry's cursor (sd_journal_get_cursor(3)).
   *
   * @throws {JournalError} If there is no current entry (EADDRNOTAVAIL).
   */
  cursor(): string {
    const buf = new Uint8Array(256);
    const n = this.cursorInto(buf);
    return new TextDecoder().decode(buf.subarray(0, n));
  }

  /**
   * Copies the current entry's cursor into `out` without making a string.
   *
   * @param out At least 256 bytes (cursors are about 140).
   * @returns The cursor's length.
   * @throws {JournalError} If there is no current entry.
   * @throws {RangeError} If the cursor does not fit.
   */
  cursorInto(out: Uint8Array): number {
    const c = libc();
    check(this.#lib.sd_journal_get_cursor(this.#handle, this.#out1), "Cannot get the cursor");
    const addr = this.#out1[0]!;
    const n = Number(c.strlen(addr));
    if (n > out.length) {
      c.free(addr);
      throw new RangeError(`Cursor of ${n} bytes does not fit`);
    }
    c.memcpy(BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(out))), addr, BigInt(n));
    c.free(addr);
    return n;
  }

  /**
   * Copies the current entry's fields, timestamps, boot ID and sequence number into
   * `entry` (sd_journal_restart_data(3), then sd_journal_enumerate_available_data(3),
   * each field copied at once since its pointer is valid only until the next call).
   *
   * @param entry Where to put them; cleared first.
   * @param full Also the cursor, the monotonic timestamp with the boot ID and the
   *   sequence number (the `json` format's header); otherwise only the realtime
   *   timestamp and the fields.
   * @returns false if the entry cannot be read (EBADMSG, EADDRNOTAVAIL: journalctl
   *   skips such entries too).
   * @throws {JournalError} On other errors.
   */
  readEntry(entry: EntryFields, full: boolean): boolean {
    const lib = this.#lib;
    const h = this.#handle;
    const memcpy = libc().memcpy;
    const o1 = this.#out1;
    const o2 = this.#out2;
    entry.clear();
    let r = lib.sd_journal_get_realtime_usec(h, o1);
    if (r < 0) return skippable(r, "Cannot get the realtime timestamp");
    entry.realtime = Number(o1[0]!);
    if (full) {
      r = lib.sd_journal_get_monotonic_usec(h, o1, this.#id);
      if (r < 0) return skippable(r, "Cannot get the monotonic timestamp");
      entry.monotonic = Number(o1[0]!);
      id128ToHex(this.#id, entry.bootId);
      if (lib.sd_journal_get_seqnum !== null) {
        r = lib.sd_journal_get_seqnum(h, o1, this.#id);
        if (r < 0) return skippable(r, "Cannot get the sequence number");
        entry.hasSeqnum = true;
        entry.seqnum = Number(o1[0]!);
        id128ToHex(this.#id, entry.seqnumId);
      }
      entry.cursorLength = this.cursorInto(entry.cursor);
    }
    lib.sd_journal_restart_data(h);
    const enumerate = this.#enumerate;
    for (;;) {
      r = enumerate(h, o1, o2);
      if (r <= 0) break;
      const len = Number(o2[0]!);
      entry.reserve(len);
      // Addresses as bigint: Deno's fast path for usize arguments takes bigint.
      memcpy(entry.address + BigInt(entry.used), o1[0]!, o2[0]!);
      entry.commit(len);
    }
    if (r < 0) return skippable(r, "Cannot read the entry's fields");
    return true;
  }

  /**
   * Takes in the journal's file changes (new, rotated and deleted files) without waiting
   * (sd_journal_get_fd(3) once, then sd_journal_process(3)).
   *
   * @returns SD_JOURNAL_NOP, SD_JOURNAL_APPEND or SD_JOURNAL_INVALIDATE.
   * @throws {JournalError} If the inotify watches cannot be set up or read.
   */
  process(): number {
    const h = this.#h();
    if (!this.#watching) {
      check(this.#lib.sd_journal_get_fd(h), "Cannot watch the journal's files");
      this.#watching = true;
    }
    return check(this.#lib.sd_journal_process(h), "Cannot take in journal file changes");
  }

  /**
   * Waits for changes (sd_journal_wait(3)) on a worker thread.
   *
   * @param timeoutUsec How long to wait at most, in µs.
   * @returns SD_JOURNAL_NOP, SD_JOURNAL_APPEND or SD_JOURNAL_INVALIDATE.
   * @throws {JournalError} If the call fails.
   */
  async wait(timeoutUsec: number): Promise<number> {
    const h = this.#h();
    this.#waiting = true;
    try {
      return check(
        await this.#lib.sd_journal_wait(h, BigInt(Math.max(0, Math.floor(timeoutUsec)))),
        "Cannot wait for journal changes",
      );
    } finally {
      this.#waiting = false;
    }
  }

  /**
   * Closes the handle (sd_journal_close(3)). Safe to call twice.
   *
   * @throws {TypeError} If a {@link wait} is still running on the handle.
   */
  close(): void {
    if (this.#handle === null) return;
    if (this.#waiting) throw new TypeError("Cannot close the journal while wait() runs");
    this.#lib.sd_journal_close(this.#handle);
    this.#handle = null;
  }

  /** Closes the handle. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** EBADMSG and EADDRNOTAVAIL mark an unreadable entry: skip it (false); rethrow others. */
function skippable(r: number, what: string): false {
  if (r === -74 || r === -99) return false;
  throw new JournalError(what, -r);
}
