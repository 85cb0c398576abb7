/**
 * Taking the container's stdout and stderr from PID 1.
 *
 * The interceptor keeps copies of the container's fds 1 and 2 in PID 1 and exports their
 * numbers as SYSTEMD_STDOUT_FILENO and SYSTEMD_STDERR_FILENO in PID 1's environment
 * (services get them through PassEnvironment=). They are taken with pidfd_open(2) +
 * pidfd_getfd(2), which needs CAP_SYS_PTRACE (Docker's default seccomp profile refuses
 * both otherwise), else by opening /proc/1/fd/N, which works with default capabilities
 * for a pipe or a terminal (proc(5): the caller needs ptrace read access to PID 1, so
 * the same uid and a superset of its capabilities). A socket cannot be reopened that
 * way.
 *
 * @module
 */
import { cString, errno, libc, OsError, pidfdGetfd } from "../../ffi/libc.ts";
import {
  F_GETFL,
  F_SETFL,
  O_APPEND,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_WRONLY,
} from "../../ffi/linux.ts";

/** The exit code when the output fds cannot be taken (sysexits.h EX_UNAVAILABLE). */
export const EXIT_NO_OUTPUT = 69;

/** How a fd was taken. */
export type TakeMethod = "pidfd_getfd" | "proc";

/** The fds journalagent writes to. */
export interface OutputFds {
  /** The container's stdout (this process's copy). */
  stdout: number;
  /** The container's stderr; the same as `stdout` when PID 1 keeps no stderr copy. */
  stderr: number;
  /** How they were taken. */
  method: TakeMethod;
  /** True when the container has no stdout and `stdout` is the stderr copy. */
  stdoutMissing?: boolean;
}

/** The container's stdout or stderr cannot be taken; the message names the cause and the fix. */
export class OutputUnavailableError extends Error {
  /** "OutputUnavailableError". */
  override name = "OutputUnavailableError";
}

/** Options for {@link takeOutputFds}. */
export interface TakeOptions {
  /** The process holding the copies. @default 1 */
  pid?: number;
  /** The methods to try, in order. @default ["pidfd_getfd", "proc"] */
  methods?: TakeMethod[];
}

function fdNumber(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (!/^\d{1,7}$/.test(v)) {
    throw new OutputUnavailableError(
      `${name} is ${JSON.stringify(v)}, not a file descriptor number: it is set by ` +
        `the interceptor in PID 1; do not set it by hand`,
    );
  }
  return Number(v);
}

function procOpen(pid: number, targetFd: number): number {
  const path = `/proc/${pid}/fd/${targetFd}`;
  const fd = libc().open(cString(path), O_WRONLY | O_NOCTTY | O_APPEND | O_CLOEXEC, 0);
  if (fd < 0) throw new OsError(`open "${path}"`);
  return fd;
}

/** Makes writes to `fd` return EAGAIN instead of blocking the event loop. */
function setNonblocking(fd: number): void {
  const c = libc();
  const flags = c.fcntl(fd, F_GETFL, 0);
  if (flags < 0 || c.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    throw new OsError(`fcntl(${fd}, F_SETFL, O_NONBLOCK)`, errno());
  }
}

function takeOne(
  what: string,
  targetFd: number,
  pid: number,
  methods: TakeMethod[],
): { fd: number; method: TakeMethod } {
  const failures: string[] = [];
  for (const method of methods) {
    try {
      const fd = method === "pidfd_getfd" ? pidfdGetfd(pid, targetFd) : procOpen(pid, targetFd);
      let target = "";
      try {
        target = Deno.readLinkSync(`/proc/self/fd/${fd}`);
      } catch { /* no /proc/self: nothing to check */ }
      if (target === "/dev/null") {
        libc().close(fd);
        throw new OutputUnavailableError(
          `PID ${pid}'s copy of the container's ${what} (fd ${targetFd}) is /dev/null: ` +
            `the copy was lost (an interceptor that does not survive daemon-reexec?); ` +
            `restart the container`,
        );
      }
      setNonblocking(fd);
      return { fd, method };
    } catch (e) {
      if (e instanceof OutputUnavailableError) throw e;
      if (!(e instanceof OsError)) throw e;
      failures.push(e.message);
    }
  }
  throw new OutputUnavailableError(
    `Cannot take the container's ${what} (fd ${targetFd} of PID ${pid}): ` +
      `${failures.join("; ")}; run the container with --cap-add SYS_PTRACE, ` +
      `or give it a pipe or a terminal as ${what} (docker, podman and containerd do)`,
  );
}

/**
 * Takes this process's own copies of the container's stdout and stderr from PID 1 and
 * makes them non-blocking (O_NONBLOCK).
 *
 * @param env The environment holding SYSTEMD_STDOUT_FILENO and SYSTEMD_STDERR_FILENO.
 * @param options Which process and methods.
 * @returns The fds (close-on-exec). When PID 1 keeps a copy of stderr only (the runtime
 *   gave the container no stdout), both are that copy and `stdoutMissing` is true.
 * @throws {OutputUnavailableError} If neither SYSTEMD_STDOUT_FILENO nor
 *   SYSTEMD_STDERR_FILENO is set, or no method works; the message says why and how to
 *   fix it.
 */
export function takeOutputFds(
  env: Record<string, string | undefined>,
  options: TakeOptions = {},
): OutputFds {
  const pid = options.pid ?? 1;
  const methods = options.methods ?? ["pidfd_getfd", "proc"];
  const stdoutNo = fdNumber(env, "SYSTEMD_STDOUT_FILENO");
  const stderrNo = fdNumber(env, "SYSTEMD_STDERR_FILENO");
  if (stdoutNo === undefined && stderrNo !== undefined) {
    const err = takeOne("stderr", stderrNo, pid, methods);
    return { stdout: err.fd, stderr: err.fd, method: err.method, stdoutMissing: true };
  }
  if (stdoutNo === undefined) {
    throw new OutputUnavailableError(
      "SYSTEMD_STDOUT_FILENO is not set, so PID 1 keeps no copy of the container's " +
        "stdout: start the container with /usr/bin/systemd-bootstrap as its entrypoint " +
        "(it preloads the interceptor into systemd) and keep " +
        "PassEnvironment=SYSTEMD_STDOUT_FILENO SYSTEMD_STDERR_FILENO in journalagent.service",
    );
  }
  const out = takeOne("stdout", stdoutNo, pid, methods);
  if (stderrNo === undefined || stderrNo === stdoutNo) {
    return { stdout: out.fd, stderr: out.fd, method: out.method };
  }
  try {
    const err = takeOne("stderr", stderrNo, pid, methods);
    return { stdout: out.fd, stderr: err.fd, method: out.method };
  } catch (e) {
    libc().close(out.fd);
    throw e;
  }
}
