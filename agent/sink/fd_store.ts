/**
 * systemd's file descriptor store (sd_notify(3) `FDSTORE=1`, sd_listen_fds(3)): fds a
 * service hands to PID 1, which keeps them while the service restarts (Restart=, also
 * after SIGKILL or an OOM kill, and across `systemctl daemon-reexec`) and passes them
 * back at the next start as LISTEN_FDS. The unit needs FileDescriptorStoreMax= > 0 and
 * NotifyAccess=main (or all).
 *
 * @module
 */
import { cString, libc } from "../../ffi/libc.ts";
import { F_SETFD, FD_CLOEXEC } from "../../ffi/linux.ts";
import { check, libsystemd } from "../../ffi/libsystemd.ts";

/** The first fd passed by systemd (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/**
 * The fds passed by systemd to this process, by name (LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES, as sd_listen_fds_with_names(3) reads them). Marks them close-on-exec.
 *
 * @param env The process environment.
 * @param pid This process's PID. @default Deno.pid
 * @returns Name to fd; empty when nothing was passed or the variables are for another
 *   process. Unnamed fds are called "unknown" (systemd's default name).
 */
export function listenFds(
  env: Record<string, string | undefined>,
  pid: number = Deno.pid,
): Map<string, number> {
  const fds = new Map<string, number>();
  if (env.LISTEN_PID !== String(pid)) return fds;
  const n = Number(env.LISTEN_FDS ?? "0");
  if (!Number.isSafeInteger(n) || n <= 0) return fds;
  const names = (env.LISTEN_FDNAMES ?? "").split(":");
  for (let i = 0; i < n; i++) {
    const fd = LISTEN_FDS_START + i;
    libc().fcntl(fd, F_SETFD, FD_CLOEXEC);
    fds.set(names[i] || "unknown", fd);
  }
  return fds;
}

/**
 * Hands `fds` to the service manager with `state` (sd_pid_notify_with_fds(3)); PID 1
 * keeps copies of them.
 *
 * @param state e.g. `FDSTORE=1\nFDNAME=stage`.
 * @param fds The fds to pass.
 * @throws {JournalError} If the message cannot be sent.
 * @throws {Error} If $NOTIFY_SOCKET is not set (nothing was sent).
 */
export function notifyWithFds(state: string, fds: readonly number[]): void {
  const r = check(
    libsystemd().sd_pid_notify_with_fds(0, 0, cString(state), new Int32Array(fds), fds.length),
    "Cannot notify the service manager",
  );
  if (r === 0) throw new Error("Cannot notify the service manager: NOTIFY_SOCKET is not set");
}

/**
 * Whether this service has a usable fd store: $NOTIFY_SOCKET is set and
 * FileDescriptorStoreMax= is above 0 ($FDSTORE, set by systemd 254 and later; older
 * versions are asked with `systemctl show`).
 *
 * @param env The process environment.
 * @returns The fd store's size, 0 if there is none.
 */
export async function fdStoreSize(env: Record<string, string | undefined>): Promise<number> {
  if (!env.NOTIFY_SOCKET) return 0;
  if (env.FDSTORE !== undefined) return Number(env.FDSTORE) || 0;
  let unit = "";
  try {
    const cgroup = Deno.readTextFileSync("/proc/self/cgroup");
    unit = /\/([^/\n]+\.service)$/m.exec(cgroup)?.[1] ?? "";
  } catch { /* no /proc */ }
  if (unit === "") return 0;
  try {
    const out = await new Deno.Command("systemctl", {
      args: ["show", "--value", "-p", "FileDescriptorStoreMax", unit],
      stdout: "piped",
      stderr: "null",
    }).output();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 0;
  } catch {
    return 0;
  }
}

/** Where fds are kept across restarts: the fds passed back, and a way to hand one over. */
export interface FdStore {
  /** The fds passed back at this start, by name ({@link listenFds}). */
  passed: Map<string, number>;
  /**
   * Hands `fd` to the store under `name`; it comes back in {@link passed} at the next
   * start.
   *
   * @throws {Error} If it cannot be handed over.
   */
  keep(name: string, fd: number): void;
}

/**
 * The service's fd store in PID 1: fds passed back with LISTEN_FDS, new ones handed
 * over with sd_pid_notify_with_fds(3) `FDSTORE=1`, `FDNAME=` and `FDPOLL=0` (by default
 * PID 1 drops a stored fd on POLLHUP, which a pipe's read end reports as soon as no
 * writer is left, i.e. when the agent dies; systemd 246+).
 *
 * @param env The process environment (LISTEN_*, NOTIFY_SOCKET).
 * @returns The fd store.
 */
export function systemdFdStore(env: Record<string, string | undefined>): FdStore {
  return {
    passed: listenFds(env),
    keep: (name, fd) => notifyWithFds(`FDSTORE=1\nFDNAME=${name}\nFDPOLL=0`, [fd]),
  };
}
