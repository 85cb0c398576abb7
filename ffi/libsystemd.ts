/**
 * The sd-journal functions of libsystemd.so.0 that journalagent calls through FFI,
 * loaded once (sd-journal(3)).
 *
 * Each parameter carries its C type as a comment. Calls that older libsystemd lacks are
 * `optional: true` and are `null` when absent: check before calling. Every call that
 * returns a negative errno goes through {@link check}, which turns it into a
 * {@link JournalError}.
 *
 * The library path can be overridden with `CSD_LIBSYSTEMD` (e.g. for a libsystemd of
 * one's own build).
 *
 * @module
 */
import { loadLibrary } from "./_load.ts";
import { errnoName } from "./linux.ts";

/** The symbol table: the exact C names, each parameter's C type as a comment. */
export const LIBSYSTEMD_SYMBOLS = {
  sd_journal_open: {
    // sd_journal **ret, int flags
    parameters: ["buffer", "i32"],
    result: "i32",
  },
  sd_journal_open_directory: {
    // sd_journal **ret, const char *path, int flags
    parameters: ["buffer", "buffer", "i32"],
    result: "i32",
  },
  sd_journal_close: { parameters: ["pointer"], result: "void" }, // sd_journal *j
  sd_journal_set_data_threshold: {
    // sd_journal *j, size_t sz
    parameters: ["pointer", "usize"],
    result: "i32",
  },
  sd_journal_seek_head: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_seek_tail: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_seek_cursor: {
    // sd_journal *j, const char *cursor
    parameters: ["pointer", "buffer"],
    result: "i32",
  },
  sd_journal_seek_monotonic_usec: {
    // sd_journal *j, sd_id128_t boot_id (16 bytes by value), uint64_t usec
    parameters: ["pointer", { struct: ["u64", "u64"] }, "u64"],
    result: "i32",
  },
  sd_journal_next: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_previous: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_test_cursor: {
    // sd_journal *j, const char *cursor
    parameters: ["pointer", "buffer"],
    result: "i32",
  },
  sd_journal_get_cursor: {
    // sd_journal *j, char **cursor (malloc'd, freed by the caller)
    parameters: ["pointer", "buffer"],
    result: "i32",
  },
  sd_journal_get_realtime_usec: {
    // sd_journal *j, uint64_t *usec
    parameters: ["pointer", "buffer"],
    result: "i32",
  },
  sd_journal_get_monotonic_usec: {
    // sd_journal *j, uint64_t *usec, sd_id128_t *boot_id
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
  },
  sd_journal_get_seqnum: {
    // sd_journal *j, uint64_t *ret_seqnum, sd_id128_t *ret_seqnum_id (libsystemd 254+)
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  sd_journal_restart_data: { parameters: ["pointer"], result: "void" }, // sd_journal *j
  sd_journal_enumerate_data: {
    // sd_journal *j, const void **data, size_t *length
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
  },
  sd_journal_enumerate_available_data: {
    // sd_journal *j, const void **data, size_t *length (libsystemd 246+)
    parameters: ["pointer", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  sd_journal_get_fd: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_process: { parameters: ["pointer"], result: "i32" }, // sd_journal *j
  sd_journal_wait: {
    // sd_journal *j, uint64_t timeout_usec; run on a worker thread, it blocks
    parameters: ["pointer", "u64"],
    result: "i32",
    nonblocking: true,
  },
  sd_id128_get_boot: {
    // sd_id128_t *ret
    parameters: ["buffer"],
    result: "i32",
  },
  sd_pid_notify_with_fds: {
    // pid_t pid, int unset_environment, const char *state, const int *fds, unsigned n_fds
    // (sd_notify(3), libsystemd 219+; journalagent pushes fds into its fd store with it)
    parameters: ["i32", "i32", "buffer", "buffer", "u32"],
    result: "i32",
  },
  sd_journal_sendv: {
    // const struct iovec *iov, int n
    parameters: ["buffer", "i32"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded symbols' type. */
export type LibsystemdSymbols = Deno.DynamicLibrary<typeof LIBSYSTEMD_SYMBOLS>["symbols"];

let loaded: LibsystemdSymbols | undefined;

/**
 * The loaded libsystemd, opened on first use from `CSD_LIBSYSTEMD` if set, else
 * `libsystemd.so.0` from the dynamic linker's search path; each symbol is bound when
 * first read (ffi/_load.ts).
 *
 * @returns The library's symbols; optional ones are `null` when absent.
 * @throws {Deno.errors.PermissionDenied} Without `--allow-ffi` (or `--allow-env`).
 * @throws {Error} If libsystemd cannot be loaded (the message says what was tried).
 */
export function libsystemd(): LibsystemdSymbols {
  const path = Deno.env.get("CSD_LIBSYSTEMD") || "libsystemd.so.0";
  return loaded ??= loadLibrary("libsystemd.so.0", [path], LIBSYSTEMD_SYMBOLS);
}

/**
 * A failed sd-journal call, with the errno it returned (as a negative value).
 *
 * The message reads `<what>: <ERRNO>`, e.g. `Cannot seek to cursor "s=...": EINVAL`.
 */
export class JournalError extends Error {
  /** "JournalError". */
  override name = "JournalError";
  /** The errno value (positive). */
  readonly errno: number;
  /** The symbolic errno name, e.g. "EINVAL". */
  readonly code: string;

  /**
   * Makes the error from what failed and the errno returned.
   *
   * @param what What failed, e.g. `Cannot open the journal`.
   * @param errno The errno value (positive).
   */
  constructor(what: string, errno: number) {
    const code = errnoName(errno);
    super(`${what}: ${code}`);
    this.errno = errno;
    this.code = code;
  }
}

/**
 * Checks the return value of an sd-journal call (negative errno on failure).
 *
 * @param r The call's return value.
 * @param what What the call did, for the error message.
 * @returns `r` when it is not negative.
 * @throws {JournalError} If `r` is negative.
 */
export function check(r: number, what: string): number {
  if (r < 0) throw new JournalError(what, -r);
  return r;
}
