/**
 * systemd's file descriptor store (sd_notify(3) `FDSTORE=1`, sd_listen_fds(3)): fds a
 * service hands to PID 1, which keeps them while the service restarts (Restart=, also
 * after SIGKILL or an OOM kill, and across `systemctl daemon-reexec`) and passes them
 * back at the next start as LISTEN_FDS. The unit needs FileDescriptorStoreMax= > 0 and
 * NotifyAccess=main (or all).
 *
 * @module
 */
import { cString, libc, OsError } from "../ffi/libc.ts";

/** The first fd passed by systemd (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

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

/** The address of a buffer, for filling C structures. */
function addressOf(buf: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/**
 * Sends `state` and `fds` to the service manager over $NOTIFY_SOCKET (sd_notify(3) with
 * SCM_RIGHTS, as sd_pid_notify_with_fds(3) does).
 *
 * @param socketPath $NOTIFY_SOCKET: a path, or `@name` for an abstract socket.
 * @param state e.g. `FDSTORE=1\nFDNAME=stage`.
 * @param fds The fds to pass (copies arrive in PID 1).
 * @throws {OsError} If the message cannot be sent.
 * @throws {RangeError} If the socket path is too long.
 */
export function notifyWithFds(socketPath: string, state: string, fds: readonly number[]): void {
  const c = libc();
  // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
  const path = new TextEncoder().encode(socketPath);
  if (path.length === 0 || path.length >= 108) {
    throw new RangeError(`NOTIFY_SOCKET "${socketPath}" is not a usable socket path`);
  }
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(path, 2);
  if (path[0] === 64) addr[2] = 0; // "@name": abstract namespace
  const addrLen = 2 + path.length + (path[0] === 64 ? 0 : 1);
  const data = cString(state);
  // struct iovec { void *iov_base; size_t iov_len; }
  const iov = new Uint8Array(16);
  const iovView = new DataView(iov.buffer);
  iovView.setBigUint64(0, addressOf(data), true);
  iovView.setBigUint64(8, BigInt(data.length - 1), true);
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; int fds[]; },
  // padded to CMSG_SPACE.
  const cmsgLen = 16 + 4 * fds.length;
  const control = new Uint8Array((cmsgLen + 7) & ~7);
  const cv = new DataView(control.buffer);
  cv.setBigUint64(0, BigInt(cmsgLen), true);
  cv.setInt32(8, SOL_SOCKET, true);
  cv.setInt32(12, SCM_RIGHTS, true);
  fds.forEach((fd, i) => cv.setInt32(16 + 4 * i, fd, true));
  // struct msghdr { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen;
  //                 void *control; size_t controllen; int flags; }
  const msg = new Uint8Array(56);
  const mv = new DataView(msg.buffer);
  mv.setBigUint64(0, addressOf(addr), true);
  mv.setUint32(8, addrLen, true);
  mv.setBigUint64(16, addressOf(iov), true);
  mv.setBigUint64(24, 1n, true);
  if (fds.length > 0) {
    mv.setBigUint64(32, addressOf(control), true);
    mv.setBigUint64(40, BigInt(control.length), true);
  }
  const sock = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) throw new OsError("Cannot create a socket for sd_notify");
  try {
    if (Number(c.sendmsg(sock, msg, MSG_NOSIGNAL)) < 0) {
      throw new OsError(`Cannot send to NOTIFY_SOCKET "${socketPath}"`);
    }
  } finally {
    c.close(sock);
  }
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
