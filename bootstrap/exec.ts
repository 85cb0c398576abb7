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
 * Resets every signal disposition to SIG_DFL and empties the signal mask, so the next
 * program starts as if launched by the kernel. A disposition of SIG_IGN survives
 * execve(2) (signal(7)); the Deno runtime ignores SIGPIPE, which systemd must not inherit.
 */
export function resetSignals(): void {
  const c = libc();
  for (let sig = 1; sig <= SIGRTMAX; sig++) {
    // SIGKILL and SIGSTOP cannot be changed; 32 and 33 belong to glibc's threads.
    if (sig === 9 || sig === 19 || sig === 32 || sig === 33) continue;
    c.signal(sig, null); // SIG_DFL is the null handler
  }
  const empty = new Uint8Array(128); // sigset_t: 1024 bits
  if (c.sigprocmask(SIG_SETMASK, empty, null) !== 0) {
    throw new OsError("Cannot clear the signal mask");
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
