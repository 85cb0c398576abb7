/**
 * The libc functions containering-systemd calls through FFI, loaded once.
 *
 * Symbols follow glibc's x86-64/aarch64 ABI; each parameter carries its C type as a
 * comment. Use {@link libc} for the loaded library and {@link errno} right after a
 * failed call (same thread, no other FFI call in between).
 *
 * @module
 */
import { loadLibrary } from "./_load.ts";
import { errnoName, SYS_PIDFD_GETFD, SYS_PIDFD_OPEN } from "./linux.ts";

const symbols = {
  execve: {
    // const char *pathname, char *const argv[], char *const envp[]
    parameters: ["buffer", "buffer", "buffer"],
    result: "i32",
  },
  signal: {
    // int signum, sighandler_t handler
    parameters: ["i32", "pointer"],
    result: "pointer",
  },
  sigprocmask: {
    // int how, const sigset_t *set, sigset_t *oldset
    parameters: ["i32", "buffer", "buffer"],
    result: "i32",
  },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  syscall: {
    // long number, long a, long b, long c (variadic in C; fixed at three here)
    parameters: ["i64", "i64", "i64", "i64"],
    result: "i64",
  },
  open: {
    // const char *pathname, int flags, mode_t mode
    parameters: ["buffer", "i32", "u32"],
    result: "i32",
  },
  unshare: { parameters: ["i32"], result: "i32" }, // int flags
  mount: {
    // const char *source, const char *target, const char *filesystemtype,
    // unsigned long mountflags, const void *data
    parameters: ["buffer", "buffer", "buffer", "u64", "buffer"],
    result: "i32",
  },
  umount2: { parameters: ["buffer", "i32"], result: "i32" }, // const char *target, int flags
  close: { parameters: ["i32"], result: "i32" }, // int fd
  read: {
    // int fd, void *buf, size_t count
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
  },
  write: {
    // int fd, const void *buf, size_t count
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: false,
  },
  fcntl: {
    // int fd, int cmd, int arg
    parameters: ["i32", "i32", "i32"],
    result: "i32",
  },
  dup2: { parameters: ["i32", "i32"], result: "i32" }, // int oldfd, int newfd
  prctl: {
    // int option, unsigned long arg2, arg3, arg4, arg5
    parameters: ["i32", "u64", "u64", "u64", "u64"],
    result: "i32",
  },
  getpid: { parameters: [], result: "i32" },
  // The read path copies out of sd-journal's memory with these. Addresses are passed as
  // bigint integers: an offset can be added without a pointer object, and Deno's fast
  // call path takes bigint for usize (about 25 ns a call; a number argument: ~260 ns).
  memcpy: {
    // void *dest, const void *src, size_t n (the returned dest is ignored)
    parameters: ["usize", "usize", "usize"],
    result: "void",
  },
  strlen: { parameters: ["usize"], result: "usize" }, // const char *s
  free: { parameters: ["usize"], result: "void" }, // void *ptr
  // journalagent waits here for a full pipe to drain, off the main thread so that
  // signals are still handled meanwhile.
  poll: {
    // struct pollfd *fds, nfds_t nfds, int timeout
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  pwrite: {
    // int fd, const void *buf, size_t count, off_t offset
    parameters: ["i32", "buffer", "usize", "i64"],
    result: "isize",
  },
  ioctl: {
    // int fd, unsigned long request, void *argp (variadic in C; one pointer here)
    parameters: ["i32", "u64", "buffer"],
    result: "i32",
  },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" }, // int pipefd[2], int flags
  splice: {
    // int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len, unsigned flags
    parameters: ["i32", "pointer", "i32", "pointer", "usize", "u32"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;

let loaded: Deno.DynamicLibrary<typeof symbols>["symbols"] | undefined;

/**
 * The loaded libc, opened on first use; each symbol is bound when first read
 * (ffi/_load.ts).
 *
 * @returns The library's symbols.
 * @throws {Deno.errors.PermissionDenied} Without `--allow-ffi`.
 * @throws {Error} If libc cannot be loaded (the cause says why).
 */
export function libc(): Deno.DynamicLibrary<typeof symbols>["symbols"] {
  return loaded ??= loadLibrary("libc", ["libc.so.6"], symbols);
}

/** The calling thread's errno, to be read right after a failed call. */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32(0);
}

/**
 * A failed libc call, with the errno it set.
 *
 * The message reads `<what>: <strerror> (<ERRNO>)`, e.g.
 * `Cannot open "/proc/1/fd/5": Permission denied (EACCES)`.
 */
export class OsError extends Error {
  override name = "OsError";
  /** The errno value (positive). */
  readonly errno: number;
  /** The symbolic errno name, e.g. "EACCES", or "E<number>" if unknown. */
  readonly code: string;

  /**
   * @param what What failed, e.g. `Cannot open "/proc/1/fd/5"`.
   * @param errnum The errno value; defaults to the current {@link errno}.
   */
  constructor(what: string, errnum: number = errno()) {
    const code = errnoName(errnum);
    const p = libc().strerror(errnum);
    const text = p === null ? code : new Deno.UnsafePointerView(p).getCString();
    super(`${what}: ${text} (${code})`);
    this.errno = errnum;
    this.code = code;
  }
}

/**
 * Encodes a string as a NUL-terminated C string.
 *
 * @param s Any string; it must not contain NUL.
 * @returns The UTF-8 bytes followed by one NUL.
 * @throws {TypeError} If `s` contains a NUL character.
 */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) {
    throw new TypeError(`String contains NUL: ${JSON.stringify(s)}`);
  }
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * Takes a copy of another process's fd: pidfd_open(2) then pidfd_getfd(2) (Linux 5.6;
 * needs ptrace access to the process, i.e. CAP_SYS_PTRACE in a container).
 *
 * @param pid The process.
 * @param targetFd Its fd.
 * @returns This process's copy (close-on-exec).
 * @throws {OsError} If either call fails; the message names which.
 */
export function pidfdGetfd(pid: number, targetFd: number): number {
  const c = libc();
  const pidfd = Number(c.syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n));
  if (pidfd < 0) throw new OsError(`pidfd_open(${pid})`);
  try {
    const fd = Number(c.syscall(SYS_PIDFD_GETFD, BigInt(pidfd), BigInt(targetFd), 0n));
    if (fd < 0) throw new OsError(`pidfd_getfd(${targetFd})`);
    return fd;
  } finally {
    c.close(pidfd);
  }
}
