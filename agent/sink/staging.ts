/**
 * Exactly-once writing across SIGKILL: each batch first goes into a staging pipe that
 * PID 1 keeps in the unit's fd store, then the cursor is saved together with the number
 * of that pipe (its slot), then the pipe is spliced into the container's pipe.
 *
 * A pipe records by itself how much of it was moved on: whatever splice(2) took out is
 * gone from it. So after a kill at any moment, the next start finds the committed
 * batch's rest, if any, in the slot the saved cursor names, and moves it on; a batch
 * staged but not committed is in the other slot and is thrown away (its entries come
 * after the saved cursor and are read again). The two slots alternate from batch to
 * batch, and a batch is staged only after the previous one was moved on completely.
 *
 * @module
 */
import { cString, errno, libc, OsError } from "../../ffi/libc.ts";
import {
  ERRNO,
  F_GETPIPE_SZ,
  F_SETPIPE_SZ,
  FIONREAD,
  O_CLOEXEC,
  O_NONBLOCK,
  O_WRONLY,
  PollFd,
  POLLOUT,
  SPLICE_F_MOVE,
  SPLICE_F_NONBLOCK,
} from "../../ffi/linux.ts";
import type { FdStore } from "./fd_store.ts";
import type { OutputSink } from "./output_sink.ts";

const { EAGAIN, EINTR } = ERRNO;
/** The staging pipes' size: /proc/sys/fs/pipe-max-size's default. */
const STAGE_PIPE_SIZE = 1 << 20;

/** The two ends of one staging pipe. */
interface StagePipe {
  r: number;
  w: number;
}

/** One output stream written through two staging pipes. */
export class StagedOutput implements Disposable {
  /** The container's output this stages for. */
  readonly sink: OutputSink;
  readonly #pipes: [StagePipe, StagePipe];
  readonly #count = new Int32Array(1);
  readonly #pollfd: PollFd;
  #devNull = -1;
  /** Whether both staging pipes came back from the fd store (false: made anew). */
  readonly reused: boolean;

  private constructor(sink: OutputSink, pipes: [StagePipe, StagePipe], reused: boolean) {
    this.sink = sink;
    this.#pipes = pipes;
    this.reused = reused;
    this.#pollfd = new PollFd(sink.fd, POLLOUT);
  }

  /**
   * Takes the two staging pipes from the fd store, or makes them and hands their read
   * ends to PID 1 (which keeps them, and so their contents, while the agent restarts).
   *
   * @param sink The container's output (a pipe).
   * @param store The fd store the pipes come back from and are handed to.
   * @param name The name prefix in the fd store, e.g. "stage-stdout" (slots add "-0"
   *   and "-1").
   * @returns The staged output.
   * @throws {OsError} If a pipe cannot be made or reopened; nothing is left open then.
   * @throws {Error} If the fd store refuses a pipe ({@link FdStore.keep}); nothing is
   *   left open then.
   */
  static open(sink: OutputSink, store: FdStore, name: string): StagedOutput {
    const c = libc();
    let reused = true;
    const opened: number[] = [];
    try {
      const pipes = [0, 1].map((n): StagePipe => {
        const slotName = `${name}-${n}`;
        const passed = store.passed.get(slotName);
        if (passed !== undefined) {
          const path = `/proc/self/fd/${passed}`;
          const w = c.open(cString(path), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
          if (w < 0) throw new OsError(`Cannot reopen staging pipe "${slotName}" for writing`);
          opened.push(w);
          return { r: passed, w };
        }
        const ends = new Int32Array(2);
        if (c.pipe2(ends, O_NONBLOCK | O_CLOEXEC) < 0) {
          throw new OsError("Cannot create a staging pipe");
        }
        opened.push(ends[0]!, ends[1]!);
        c.fcntl(ends[0]!, F_SETPIPE_SZ, STAGE_PIPE_SIZE);
        store.keep(slotName, ends[0]!);
        reused = false;
        return { r: ends[0]!, w: ends[1]! };
      }) as [StagePipe, StagePipe];
      return new StagedOutput(sink, pipes, reused);
    } catch (e) {
      // No half-made staging: close what this call opened (PID 1 keeps its own copies
      // of what was handed over).
      for (const fd of opened) c.close(fd);
      throw e;
    }
  }

  /** The largest batch one slot takes with one write(2). */
  get capacity(): number {
    const size = libc().fcntl(this.#pipes[0].r, F_GETPIPE_SZ, 0);
    return Math.max(0, size - 2 * 4096);
  }

  /** Bytes waiting in slot `slot`. */
  pending(slot: 0 | 1): number {
    if (libc().ioctl(this.#pipes[slot].r, BigInt(FIONREAD), this.#count) < 0) {
      throw new OsError("Cannot read the staging pipe's fill level");
    }
    return this.#count[0]!;
  }

  /**
   * Puts a batch into slot `slot`, which must be empty, with one write(2).
   *
   * @throws {OsError} If it does not go in whole (the caller then writes directly).
   */
  stage(slot: 0 | 1, bytes: Uint8Array<ArrayBuffer>): void {
    if (bytes.length === 0) return;
    const n = Number(libc().write(this.#pipes[slot].w, bytes, BigInt(bytes.length)));
    if (n !== bytes.length) {
      throw new OsError(`Cannot stage ${bytes.length} bytes (wrote ${n})`, n < 0 ? errno() : 0);
    }
  }

  /** Throws away what slot `slot` holds (a batch that was staged but not committed). */
  discard(slot: 0 | 1): number {
    const c = libc();
    if (this.#devNull < 0) {
      this.#devNull = c.open(cString("/dev/null"), O_WRONLY | O_CLOEXEC, 0);
      if (this.#devNull < 0) throw new OsError('Cannot open "/dev/null"');
    }
    let dropped = 0;
    for (let left = this.pending(slot); left > 0; left = this.pending(slot)) {
      const n = Number(
        c.splice(this.#pipes[slot].r, null, this.#devNull, null, BigInt(left), SPLICE_F_NONBLOCK),
      );
      if (n <= 0) throw new OsError("Cannot empty a staging pipe");
      dropped += n;
    }
    return dropped;
  }

  /**
   * Moves everything in slot `slot` into the container's output with splice(2), waiting
   * (poll(2) off the main thread) while the output is full.
   *
   * @param slot The slot.
   * @param deadline Give up at this `now()` time. @default never
   * @param now The clock of `deadline`. @default performance.now
   * @returns true when the slot is empty, false if the deadline passed first (what is
   *   left stays staged for the next start).
   * @throws {OsError} If splice(2) fails, e.g. EPIPE when the reader has gone.
   */
  async flush(slot: 0 | 1, deadline = Infinity, now = () => performance.now()): Promise<boolean> {
    const c = libc();
    const r = this.#pipes[slot].r;
    for (let left = this.pending(slot); left > 0; left = this.pending(slot)) {
      const n = Number(
        c.splice(r, null, this.sink.fd, null, BigInt(left), SPLICE_F_MOVE | SPLICE_F_NONBLOCK),
      );
      if (n > 0) continue;
      const e = n < 0 ? errno() : EAGAIN;
      if (e === EINTR) continue;
      if (e !== EAGAIN) throw new OsError("Cannot move a staged batch to the output", e);
      if (now() >= deadline) return false;
      await c.poll(this.#pollfd.bytes, 1n, 100);
    }
    return true;
  }

  /**
   * Closes this process's ends of the staging pipes (the fd store keeps its copies of
   * the read ends, and with them what is staged). Safe to call twice.
   */
  close(): void {
    const c = libc();
    for (const p of this.#pipes) {
      for (const fd of [p.r, p.w]) if (fd >= 0) c.close(fd);
      p.r = p.w = -1;
    }
    if (this.#devNull >= 0) c.close(this.#devNull);
    this.#devNull = -1;
  }

  /** Closes this process's ends ({@link close}). */
  [Symbol.dispose](): void {
    this.close();
  }
}
