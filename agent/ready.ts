/**
 * Telling the service manager that the agent is up (sd_notify(3) `READY=1`), which
 * journalagent.service (Type=notify) waits for. The unit is ordered before
 * shutdown.target, so a halt or exit requested while the agent starts (a `docker stop`
 * or a failing main unit in the first second) waits until the agent handles SIGTERM and
 * holds its own copies of the container's stdout/stderr: systemd-shutdown's final
 * SIGTERM then makes it drain instead of killing it, and its closing of PID 1's copies
 * (systemd 257 and later) no longer matters.
 *
 * @module
 */
import { notifyWithFds } from "./sink/fd_store.ts";

/**
 * Sends `READY=1` to the service manager when the agent runs as a service
 * ($NOTIFY_SOCKET set); does nothing otherwise.
 *
 * @param env The process environment.
 * @returns Whether the message was sent.
 * @throws {JournalError} If $NOTIFY_SOCKET is set but the message cannot be sent.
 */
export function notifyReady(env: Record<string, string | undefined>): boolean {
  if (!env.NOTIFY_SOCKET) return false;
  notifyWithFds("READY=1", []);
  return true;
}
