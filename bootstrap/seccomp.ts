/**
 * Whether a seccomp profile (`docker run --security-opt seccomp=PROFILE`) refuses the
 * system calls systemd needs to set up /run, its cgroups and its units' sandboxes.
 *
 * @module
 */
import { cString, errno, libc, OsError } from "../ffi/libc.ts";
import { CAP_SYS_ADMIN, hasCapability } from "./capabilities.ts";
import { type Host, PreflightError } from "./preflight.ts";

/** A system call refused before the kernel looked at its arguments. */
export interface RefusedSyscall {
  /** Its name, e.g. "mount". */
  name: string;
  /** The errno it failed with. */
  errno: number;
}

/** ENOENT (errno(3)): the kernel got as far as looking the path up. */
const ENOENT = 2;
/** A path that does not exist, so that a call the filter lets through does nothing. */
const NO_SUCH_PATH = "/proc/self/csd-no-such-path";

/**
 * Calls mount(2), umount2(2) and unshare(2) so that they do nothing: mount and umount2
 * on a path that does not exist (the kernel fails them with ENOENT after a seccomp
 * filter has let them through: path lookup comes before the permission checks and
 * security modules), unshare with no flags (returns 0). Any other outcome is a filter's
 * answer.
 *
 * @returns Those refused; empty if none was.
 */
export function probeSyscalls(): RefusedSyscall[] {
  const c = libc();
  const path = cString(NO_SUCH_PATH);
  const refused: RefusedSyscall[] = [];
  const none = cString("none");
  if (c.mount(none, path, none, 0n, null) !== 0 && errno() !== ENOENT) {
    refused.push({ name: "mount", errno: errno() });
  }
  if (c.umount2(path, 0) !== 0 && errno() !== ENOENT) {
    refused.push({ name: "umount2", errno: errno() });
  }
  if (c.unshare(0) !== 0) refused.push({ name: "unshare", errno: errno() });
  return refused;
}

/**
 * Checks that no seccomp profile refuses the system calls {@link probeSyscalls} tries.
 * Only with CAP_SYS_ADMIN: without it Docker's default profile refuses them too, and the
 * /run and cgroup checks name the flags that are missing.
 *
 * @param host What the process may do.
 * @param refused What {@link probeSyscalls} found.
 * @throws {PreflightError} Naming the refused calls and the fix.
 */
export function checkSeccomp(host: Host, refused: RefusedSyscall[]): void {
  if (refused.length === 0 || !hasCapability(host.capEff, CAP_SYS_ADMIN)) return;
  const names = refused.map((r) => `${r.name}(2) (${new OsError("", r.errno).code})`)
    .join(", ");
  throw new PreflightError(
    `the seccomp profile refuses ${names} although CAP_SYS_ADMIN is there; systemd ` +
      "needs them for /run, its cgroups and its units' sandboxes",
    "drop --security-opt seccomp=PROFILE (Docker's default profile allows them with " +
      "SYS_ADMIN) or allow mount, umount2 and unshare in the profile (docs/hardening.md)",
  );
}
