/**
 * Which paths systemd and the image's units need writable are read-only, e.g. after
 * `docker run --read-only` (Kubernetes `readOnlyRootFilesystem: true`); for
 * `containering-systemd doctor` (docs/hardening.md).
 *
 * @module
 */

/** A path that must be writable, why, and the flag that makes it so. */
export interface WritablePath {
  /** The path. */
  path: string;
  /** Who writes there. */
  why: string;
  /** The `docker run` flag that makes it writable. */
  fix: string;
}

/**
 * The paths that must be writable on a read-only root. The rest of the root may stay
 * read-only: every unit of the image starts (measured on 252, 257 and 262).
 */
export const MUST_BE_WRITABLE: readonly WritablePath[] = [
  { path: "/run", why: "systemd's state and the journal", fix: "--tmpfs /run" },
  { path: "/run/lock", why: "lock files", fix: "--tmpfs /run/lock" },
  {
    path: "/tmp",
    why: "services' temporary files; systemd 252 mounts no tmpfs there",
    fix: "--tmpfs /tmp",
  },
];

/**
 * The mount a path lies on: the mount point that is its longest prefix, the last one
 * mounted winning (proc(5), /proc/self/mountinfo).
 *
 * @param path An absolute path.
 * @param mountinfo The text of /proc/self/mountinfo.
 * @returns Its mount point and whether that mount is read-only; undefined if none.
 */
export function mountOf(
  path: string,
  mountinfo: string,
): { mountPoint: string; readOnly: boolean } | undefined {
  let found: { mountPoint: string; readOnly: boolean } | undefined;
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" - ")[0]?.split(" ") ?? [];
    const point = fields[4];
    if (!point) continue;
    const under = point === "/" || path === point || path.startsWith(`${point}/`);
    if (!under || (found && point.length < found.mountPoint.length)) continue;
    found = { mountPoint: point, readOnly: (fields[5] ?? "").split(",").includes("ro") };
  }
  return found;
}

/**
 * The {@link MUST_BE_WRITABLE} paths that lie on a read-only mount.
 *
 * @param mountinfo The text of /proc/self/mountinfo.
 * @returns Those read-only, in the table's order.
 */
export function readOnlyPaths(mountinfo: string): WritablePath[] {
  return MUST_BE_WRITABLE.filter((p) => mountOf(p.path, mountinfo)?.readOnly ?? false);
}
