/**
 * Writing a whole buffer to a non-blocking fd without blocking the event loop.
 *
 * @module
 */
import { errno, libc, OsError } from "../../ffi/libc.ts";
import { ERRNO, POLLERR, PollFd, POLLOUT } from "../../ffi/linux.ts";

const { EAGAIN, EINTR } = ERRNO;

/** How long one poll(2) for a full pipe waits before it is repeated, in milliseconds. */
const POLL_SLICE_MS = 1000;

/**
 * Waits until `fd` is writable, with poll(2) run off the main thread.
 *
 * @param fd A fd whose write returned EAGAIN.
 * @throws {OsError} If poll(2) fails.
 */
async function waitWritable(fd: number): Promise<void> {
  const pfd = new PollFd(fd, POLLOUT);
  for (;;) {
    const n = await libc().poll(pfd.bytes, 1n, POLL_SLICE_MS);
    if (n > 0) return; // POLLOUT, or POLLERR/POLLHUP: the next write(2) says which
    if (n < 0) {
      // errno of the worker thread is not readable here; a failing poll(2) on one
      // valid fd can only be EINTR or ENOMEM, both worth a retry.
      await new Promise((r) => setTimeout(r, 10));
    }
    if ((pfd.revents & POLLERR) !== 0) return;
  }
}

/**
 * Writes all of `bytes` to `fd`: retries partial writes and EINTR, and on EAGAIN (a full
 * pipe) waits for the fd to become writable without blocking the event loop, so that
 * signals are still handled while the reader is slow.
 *
 * @param fd A fd, preferably with O_NONBLOCK set.
 * @param bytes What to write.
 * @returns The number of write(2) calls that took bytes (1 when all went in at once).
 * @throws {OsError} On any other error, e.g. EPIPE when the reader has gone.
 */
export async function writeAll(fd: number, bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const c = libc();
  let offset = 0;
  let calls = 0;
  while (offset < bytes.length) {
    const n = Number(c.write(fd, bytes.subarray(offset), BigInt(bytes.length - offset)));
    if (n >= 0) {
      offset += n;
      calls++;
      continue;
    }
    const e = errno();
    if (e === EINTR) continue;
    if (e === EAGAIN) {
      await waitWritable(fd);
      continue;
    }
    throw new OsError(`Cannot write to fd ${fd}`, e);
  }
  return calls;
}
