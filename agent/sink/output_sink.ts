/**
 * One of the container's output streams (a fd taken from PID 1) as journalagent writes
 * to it: how much a pipe can take right now, waiting for room without blocking the
 * event loop, and writing.
 *
 * When the output is a pipe (docker, podman, containerd and Kubernetes give containers
 * pipes or FIFOs), the agent reads no more entries than the pipe can take and waits
 * until a whole batch fits, so that each batch goes in with one write(2) that does not
 * block. A write that does not block cannot be interrupted half-way, so a SIGKILL leaves
 * either the whole batch written or none of it, never a torn line. That is what makes
 * resuming from the saved cursor exact.
 *
 * @module
 */
import { libc } from "../../ffi/libc.ts";
import { F_GETPIPE_SZ, F_SETPIPE_SZ, FIONREAD, PollFd, POLLOUT } from "../../ffi/linux.ts";
import { writeAll } from "./write_all.ts";

const PAGE = 4096;
/** The pipe size asked for: /proc/sys/fs/pipe-max-size's default, 1 MiB. */
const WANTED_PIPE_SIZE = 1 << 20;
/** How long to wait before looking again when a pipe has room, but not enough, in ms. */
const RECHECK_MS = 2;

/**
 * Room kept free in a pipe's estimate: the kernel fills a pipe by pages, and the first
 * and last page in use may be only partly used, so the bytes in it (FIONREAD) understate
 * the pages in use by up to two.
 */
const PIPE_MARGIN = 2 * PAGE;

/** A writable output stream. */
export class OutputSink {
  /** The fd written to. */
  readonly fd: number;
  /** What the fd refers to (readlink of /proc/self/fd/N), e.g. "pipe:[4711]". */
  readonly target: string;
  readonly #pipeSize: number;
  #count = new Int32Array(1);
  #pollfd: PollFd;

  /**
   * Wraps `fd`; for a pipe, asks for a 1 MiB pipe buffer (best effort: the
   * container's log reader then has more room to fall behind in) and notes its size.
   *
   * @param fd A fd open for writing, non-blocking.
   */
  constructor(fd: number) {
    this.fd = fd;
    try {
      this.target = Deno.readLinkSync(`/proc/self/fd/${fd}`);
    } catch {
      this.target = `fd:${fd}`;
    }
    const c = libc();
    let size = c.fcntl(fd, F_GETPIPE_SZ, 0);
    if (size > 0 && size < WANTED_PIPE_SIZE) {
      const grown = c.fcntl(fd, F_SETPIPE_SZ, WANTED_PIPE_SIZE);
      if (grown > 0) size = grown;
    }
    this.#pipeSize = size > 0 ? size : 0;
    this.#pollfd = new PollFd(fd, POLLOUT);
  }

  /** A description for diagnostics, e.g. `pipe:[4711] (1048576 bytes)`. */
  describe(): string {
    return this.#pipeSize > 0 ? `${this.target} (${this.#pipeSize} bytes)` : this.target;
  }

  /** The pipe's size in bytes, or 0 if the fd is not a pipe. */
  get pipeSize(): number {
    return this.#pipeSize;
  }

  /** The most a single batch should hold to ever fit at once (Infinity if not a pipe). */
  get capacity(): number {
    return this.#pipeSize > 0 ? this.#pipeSize - PIPE_MARGIN : Infinity;
  }

  /**
   * How many bytes one write(2) can take right now without blocking (Infinity if the
   * fd is not a pipe: terminals and files are written without this check).
   */
  space(): number {
    if (this.#pipeSize === 0) return Infinity;
    if (libc().ioctl(this.fd, BigInt(FIONREAD), this.#count) < 0) return Infinity;
    return Math.max(0, this.#pipeSize - PIPE_MARGIN - this.#count[0]!);
  }

  /**
   * Waits until {@link space} is at least `bytes` (or {@link capacity}, whichever is
   * smaller), without blocking the event loop: poll(2) on a worker thread while the pipe
   * is full, then short timers until enough of it has drained.
   *
   * @param bytes The size of the batch to write.
   * @param deadline Give up at this `now()` time. @default never
   * @param now The clock of `deadline`. @default performance.now
   * @returns true when there is room, false if the deadline passed first.
   */
  async waitForSpace(
    bytes: number,
    deadline = Infinity,
    now = () => performance.now(),
  ): Promise<boolean> {
    const need = Math.min(bytes, this.capacity);
    for (;;) {
      if (this.space() >= need) return true;
      if (now() >= deadline) return false;
      if (await libc().poll(this.#pollfd.bytes, 1n, 100) > 0) {
        await new Promise((r) => setTimeout(r, RECHECK_MS));
      }
    }
  }

  /**
   * Writes all of `bytes` (see {@link writeAll}).
   *
   * @returns The number of write(2) calls it took (more than 1: the batch was split).
   * @throws {OsError} e.g. EPIPE when the reader has gone.
   */
  write(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
    return writeAll(this.fd, bytes);
  }
}
