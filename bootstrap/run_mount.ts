/**
 * Mounting systemd's /run before systemd does, so that what the bootstrap writes there
 * (the journald drop-in, journal_budget.ts) is not hidden by systemd's own mount.
 *
 * @module
 */
import { cString, libc, OsError } from "../ffi/libc.ts";
import { findMount } from "./cgroup.ts";

/** mount(2) flags MS_NOSUID | MS_NODEV | MS_STRICTATIME, as systemd mounts /run. */
const RUN_MOUNT_FLAGS = 2n | 4n | (1n << 24n);
/** The options of systemd's own /run (src/shared/mount-setup.c, TMPFS_LIMITS_RUN). */
export const RUN_MOUNT_OPTIONS = "mode=0755,size=20%,nr_inodes=800k";

/**
 * Mounts a tmpfs on /run as systemd would (mount-setup.c skips a mount point that is
 * already mounted), unless a tmpfs is there already (`--tmpfs /run`, Podman's
 * `--systemd=always`, a Kubernetes `emptyDir`).
 *
 * @param mountinfo The text of /proc/self/mountinfo.
 * @returns true if it mounted one.
 * @throws {OsError} If mount(2) fails (e.g. EPERM without CAP_SYS_ADMIN).
 */
export function mountRunLikeSystemd(mountinfo: string): boolean {
  if (findMount("/run", mountinfo)) return false;
  const ok = libc().mount(
    cString("tmpfs"),
    cString("/run"),
    cString("tmpfs"),
    RUN_MOUNT_FLAGS,
    cString(RUN_MOUNT_OPTIONS),
  );
  if (ok !== 0) throw new OsError('Cannot mount a tmpfs on "/run"');
  return true;
}
