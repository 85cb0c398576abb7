/**
 * Replacing the current process with another program, as a clean PID 1 expects it.
 *
 * @module
 */
import { cString, libc, OsError } from "../ffi/libc.ts";

/** SIG_SETMASK for sigprocmask(2). */
const SIG_SETMASK = 2;
/** The highest signal number on Linux (SIGRTMAX). */
const SIGRTMAX = 64;

/**
 * The stop signals the interceptor blocks in the entrypoint (interceptor/interceptor.c,
 * `block_stop_signals`): SIGINT, SIGRTMIN+3 (halt), SIGRTMIN+4 (poweroff) and
 * SIGRTMIN+5 (reboot), with glibc's SIGRTMIN of 34. One that arrived meanwhile is
 * pending and must stay so across execve(2), for systemd to act on (systemd(1),
 * "Signals").
 */
export const STOP_SIGNALS: readonly number[] = [2, 37, 38, 39];

/**
 * The signal mask to exec with: of `current`, only the {@link STOP_SIGNALS} stay blocked.
 *
 * @param current The calling thread's mask (a sigset_t, bit `n - 1` for signal `n`).
 * @returns A new sigset_t of the same size.
 */
export function execMask(current: Uint8Array): Uint8Array<ArrayBuffer> {
  const mask = new Uint8Array(current.length);
  for (const sig of STOP_SIGNALS) {
    const byte = (sig - 1) >> 3, bit = 1 << ((sig - 1) & 7);
    mask[byte]! |= (current[byte] ?? 0) & bit;
  }
  return mask;
}

/**
 * Resets every signal disposition to SIG_DFL and unblocks every signal but the stop
 * signals the entrypoint blocked ({@link STOP_SIGNALS}), so the next program starts as if
 * launched by the kernel, with a stop request that arrived meanwhile still pending. A
 * disposition of SIG_IGN survives execve(2) (signal(7)); the Deno runtime ignores
 * SIGPIPE, which systemd must not inherit.
 *
 * @throws {OsError} If sigprocmask(2) fails.
 */
export function resetSignals(): void {
  const c = libc();
  for (let sig = 1; sig <= SIGRTMAX; sig++) {
    // SIGKILL and SIGSTOP cannot be changed; 32 and 33 belong to glibc's threads.
    if (sig === 9 || sig === 19 || sig === 32 || sig === 33) continue;
    c.signal(sig, null); // SIG_DFL is the null handler
  }
  const current = new Uint8Array(128); // sigset_t: 1024 bits
  if (c.sigprocmask(SIG_SETMASK, null, current) !== 0) {
    throw new OsError("Cannot read the signal mask");
  }
  if (c.sigprocmask(SIG_SETMASK, execMask(current), null) !== 0) {
    throw new OsError("Cannot set the signal mask");
  }
}

/**
 * Executes `path` in place of this process (execve(2)), with default signal handling.
 *
 * @param path Absolute path of the program.
 * @param argv The argument vector, argv[0] included.
 * @param env The complete environment.
 * @returns Never: on success the process image is replaced.
 * @throws {OsError} If execve(2) fails, e.g. `Cannot execute "/sbin/init": No such file or directory (ENOENT)`.
 */
export function exec(
  path: string,
  argv: string[],
  env: Record<string, string>,
): never {
  const keep: Uint8Array[] = [];
  const vector = (items: string[]): Uint8Array<ArrayBuffer> => {
    const ptrs = new BigUint64Array(items.length + 1);
    items.forEach((s, i) => {
      const b = cString(s);
      keep.push(b);
      ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
    });
    return new Uint8Array(ptrs.buffer);
  };
  const argvBuf = vector(argv);
  const envBuf = vector(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  resetSignals();
  libc().execve(cString(path), argvBuf, envBuf);
  throw new OsError(`Cannot execute "${path}"`);
}
