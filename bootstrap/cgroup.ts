/**
 * Preparing /sys/fs/cgroup for the systemd that will run as PID 1.
 *
 * systemd 258 and later refuse the legacy (v1) and hybrid hierarchies ("Detected
 * unsupported legacy cgroup hierarchy"); on such a host a private cgroup2 mount makes
 * them boot (needs CAP_SYS_ADMIN; where the container shares the host's cgroup
 * namespace, a new one is made first so that systemd sees only its own subtree).
 *
 * @module
 */
import { cString, libc, OsError } from "../ffi/libc.ts";

/** The first systemd version that requires the unified (v2) cgroup hierarchy. */
export const FIRST_V2_ONLY_SYSTEMD = 258;

/** One mount from /proc/self/mountinfo. */
export interface MountInfo {
  /** The file system type, e.g. "cgroup2". */
  type: string;
  /** Whether the mount is read-only (the per-mount "ro" option). */
  readOnly: boolean;
}

/**
 * The mount at `path`, from /proc/self/mountinfo (proc(5)); the last one wins.
 *
 * @param path A mount point, e.g. "/sys/fs/cgroup".
 * @param mountinfo The text of /proc/self/mountinfo; read when omitted.
 * @returns The mount, or undefined if nothing is mounted there.
 */
export function findMount(path: string, mountinfo?: string): MountInfo | undefined {
  const text = mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo");
  let found: MountInfo | undefined;
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const fields = left.split(" ");
    if (fields[4] !== path) continue;
    found = {
      type: right.split(" ")[0] ?? "",
      readOnly: (fields[5] ?? "").split(",").includes("ro"),
    };
  }
  return found;
}

/**
 * The file system type mounted at `path`.
 *
 * @param path A mount point, e.g. "/sys/fs/cgroup".
 * @param mountinfo The text of /proc/self/mountinfo; read when omitted.
 * @returns The type, e.g. "cgroup2" or "tmpfs", or undefined if nothing is mounted there.
 */
export function mountType(path: string, mountinfo?: string): string | undefined {
  return findMount(path, mountinfo)?.type;
}

/**
 * The link /proc/self/ns/cgroup shows in the host's first (init) cgroup namespace: its
 * inode number is fixed, PROC_CGROUP_INIT_INO (0xEFFFFFFB) in the kernel's
 * include/linux/proc_ns.h.
 */
export const INIT_CGROUP_NAMESPACE = "cgroup:[4026531835]";

/**
 * Whether this process has a cgroup namespace of its own: every line of
 * /proc/self/cgroup (cgroups(7)) then shows the path "/", and the namespace is not the
 * host's first one (a process in the host's root cgroup also sees "/" there).
 *
 * @param procCgroup The text of /proc/self/cgroup; read when omitted.
 * @param namespace The target of /proc/self/ns/cgroup, e.g. "cgroup:[4026532610]";
 *   unknown when omitted.
 */
export function hasPrivateCgroupNamespace(procCgroup?: string, namespace?: string): boolean {
  if (namespace === INIT_CGROUP_NAMESPACE) return false;
  const text = procCgroup ?? Deno.readTextFileSync("/proc/self/cgroup");
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.every((l) => l.slice(l.indexOf(":", l.indexOf(":") + 1) + 1) === "/");
}

/** How /sys/fs/cgroup looks to systemd: "v2", "hybrid", "v1" or "none". */
export type CgroupLayout = "v2" | "hybrid" | "v1" | "none";

/**
 * Tells the cgroup layout from the mounts, as systemd's cg_unified() does.
 *
 * @param mountinfo The text of /proc/self/mountinfo; read when omitted.
 */
export function cgroupLayout(mountinfo?: string): CgroupLayout {
  const text = mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo");
  const root = mountType("/sys/fs/cgroup", text);
  if (root === "cgroup2") return "v2";
  if (root === undefined) return "none";
  return mountType("/sys/fs/cgroup/unified", text) === "cgroup2" ? "hybrid" : "v1";
}

/** unshare(2) flag for a new cgroup namespace. */
const CLONE_NEWCGROUP = 0x02000000;
/** umount2(2) flag: detach now, clean up when no longer busy. */
const MNT_DETACH = 2;
/** mount(2) flags MS_NOSUID | MS_NODEV | MS_NOEXEC, as systemd mounts cgroup2. */
const CGROUP_MOUNT_FLAGS = 2n | 4n | 8n;

/**
 * Replaces whatever is mounted at /sys/fs/cgroup with a cgroup2 mount of this
 * container's own subtree (`nsdelegate`, as systemd mounts it).
 *
 * @param options `newNamespace`: first move into a new cgroup namespace rooted at the
 *   current cgroup (when the container shares the host's).
 * @throws {OsError} If unshare(2), umount2(2) or mount(2) fail (e.g. EPERM without
 *   CAP_SYS_ADMIN).
 */
export function mountPrivateCgroup2(options: { newNamespace: boolean }): void {
  const c = libc();
  if (options.newNamespace && c.unshare(CLONE_NEWCGROUP) !== 0) {
    throw new OsError("Cannot make a cgroup namespace");
  }
  const target = cString("/sys/fs/cgroup");
  if (findMount("/sys/fs/cgroup") && c.umount2(target, MNT_DETACH) !== 0) {
    throw new OsError('Cannot unmount "/sys/fs/cgroup"');
  }
  const ok = c.mount(
    cString("cgroup2"),
    target,
    cString("cgroup2"),
    CGROUP_MOUNT_FLAGS,
    cString("nsdelegate"),
  );
  if (ok !== 0) throw new OsError('Cannot mount cgroup2 on "/sys/fs/cgroup"');
}
