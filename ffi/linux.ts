/**
 * Linux constants for the calls in libc.ts (x86-64 and aarch64 share them: asm-generic
 * fcntl.h, poll.h, ioctls.h, unistd.h), errno names, and `struct pollfd`.
 *
 * @module
 */
/** open(2) flags. */
export const O_WRONLY = 0o1;
/** open(2): read and write. */
export const O_RDWR = 0o2;
/** open(2): create if missing. */
export const O_CREAT = 0o100;
/** open(2): do not make a terminal the controlling one. */
export const O_NOCTTY = 0o400;
/** open(2): append. */
export const O_APPEND = 0o2000;
/** open(2), fcntl(2) F_SETFL: non-blocking. */
export const O_NONBLOCK = 0o4000;
/** open(2), pipe2(2): close on exec. */
export const O_CLOEXEC = 0o2000000;

/** fcntl(2) F_SETFD. */
export const F_SETFD = 2;
/** fcntl(2) F_GETFL. */
export const F_GETFL = 3;
/** fcntl(2) F_SETFL. */
export const F_SETFL = 4;
/** fcntl(2) F_SETFD's flag. */
export const FD_CLOEXEC = 1;
/** fcntl(2) F_DUPFD_CLOEXEC. */
export const F_DUPFD_CLOEXEC = 1030;
/** fcntl(2) F_SETPIPE_SZ (Linux 2.6.35). */
export const F_SETPIPE_SZ = 1031;
/** fcntl(2) F_GETPIPE_SZ (Linux 2.6.35). */
export const F_GETPIPE_SZ = 1032;
/** ioctl(2) FIONREAD: bytes waiting in a pipe. */
export const FIONREAD = 0x541b;

/** poll(2): writable. */
export const POLLOUT = 0x004;
/** poll(2): error. */
export const POLLERR = 0x008;

/** splice(2): move pages rather than copy (a hint). */
export const SPLICE_F_MOVE = 1;
/** splice(2): do not block. */
export const SPLICE_F_NONBLOCK = 2;

/** pidfd_open(2) (Linux 5.3). */
export const SYS_PIDFD_OPEN = 434n;
/** pidfd_getfd(2) (Linux 5.6). */
export const SYS_PIDFD_GETFD = 438n;

/**
 * errno values by name (errno(3); Linux's asm-generic/errno-base.h and errno.h, which
 * x86-64 and aarch64 share): the names and values node:os `constants.errno` has, written
 * out so that the bundle the image starts with loads no Node.js module (about 20 ms of
 * CPU at every start; ffi/linux_test.ts checks the table against node:os).
 */
export const ERRNO = {
  E2BIG: 7,
  EACCES: 13,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  EAFNOSUPPORT: 97,
  EAGAIN: 11,
  EALREADY: 114,
  EBADF: 9,
  EBADMSG: 74,
  EBUSY: 16,
  ECANCELED: 125,
  ECHILD: 10,
  ECONNABORTED: 103,
  ECONNREFUSED: 111,
  ECONNRESET: 104,
  EDEADLK: 35,
  EDESTADDRREQ: 89,
  EDOM: 33,
  EDQUOT: 122,
  EEXIST: 17,
  EFAULT: 14,
  EFBIG: 27,
  EHOSTUNREACH: 113,
  EIDRM: 43,
  EILSEQ: 84,
  EINPROGRESS: 115,
  EINTR: 4,
  EINVAL: 22,
  EIO: 5,
  EISCONN: 106,
  EISDIR: 21,
  ELOOP: 40,
  EMFILE: 24,
  EMLINK: 31,
  EMSGSIZE: 90,
  EMULTIHOP: 72,
  ENAMETOOLONG: 36,
  ENETDOWN: 100,
  ENETRESET: 102,
  ENETUNREACH: 101,
  ENFILE: 23,
  ENOBUFS: 105,
  ENODATA: 61,
  ENODEV: 19,
  ENOENT: 2,
  ENOEXEC: 8,
  ENOLCK: 37,
  ENOLINK: 67,
  ENOMEM: 12,
  ENOMSG: 42,
  ENOPROTOOPT: 92,
  ENOSPC: 28,
  ENOSR: 63,
  ENOSTR: 60,
  ENOSYS: 38,
  ENOTCONN: 107,
  ENOTDIR: 20,
  ENOTEMPTY: 39,
  ENOTSOCK: 88,
  ENOTSUP: 95,
  ENOTTY: 25,
  ENXIO: 6,
  EOPNOTSUPP: 95,
  EOVERFLOW: 75,
  EPERM: 1,
  EPIPE: 32,
  EPROTO: 71,
  EPROTONOSUPPORT: 93,
  EPROTOTYPE: 91,
  ERANGE: 34,
  EROFS: 30,
  ESPIPE: 29,
  ESRCH: 3,
  ESTALE: 116,
  ETIME: 62,
  ETIMEDOUT: 110,
  ETXTBSY: 26,
  EWOULDBLOCK: 11,
  EXDEV: 18,
} as const;

/**
 * Names {@link ERRNO} lacks (Linux-only ones sd-journal returns) or where two names share a
 * number (95 is ENOTSUP and EOPNOTSUPP on Linux: glibc's strerror and systemd say the
 * latter).
 */
const LINUX_NAMES: Record<number, string> = { 95: "EOPNOTSUPP", 117: "EUCLEAN", 126: "ENOKEY" };

const NAMES = new Map<number, string>([
  // EWOULDBLOCK is EAGAIN: the first name listed wins.
  ...Object.entries(ERRNO).reverse().map(([name, n]) => [n, name] as const),
  ...Object.entries(LINUX_NAMES).map(([n, name]) => [Number(n), name] as const),
]);

/**
 * The symbolic name of an errno value (errno(3)).
 *
 * @param errno A positive errno value.
 * @returns E.g. "EINVAL", or "E<number>" if unknown.
 */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** One `struct pollfd { int fd; short events; short revents; }` for poll(2). */
export class PollFd {
  /** The struct's 8 bytes, to pass to poll(2). */
  readonly bytes = new Uint8Array(8);
  readonly #view = new DataView(this.bytes.buffer);

  /**
   * Sets up the struct.
   *
   * @param fd The fd to watch.
   * @param events What to wait for, e.g. {@link POLLOUT}.
   */
  constructor(fd: number, events: number) {
    this.#view.setInt32(0, fd, true);
    this.#view.setInt16(4, events, true);
  }

  /** The events poll(2) reported. */
  get revents(): number {
    return this.#view.getInt16(6, true);
  }
}
