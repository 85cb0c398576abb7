/**
 * systemd in a user namespace (`dockerd --userns-remap`, rootless engines): whether the
 * container's cgroup belongs to the namespace's root, without which systemd cannot
 * create its cgroups ("Failed to create /init.scope control group: Permission denied",
 * exit 255).
 *
 * @module
 */
import { PreflightError } from "./preflight.ts";

/** The identity map of the initial user namespace (user_namespaces(7)). */
const INITIAL_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/**
 * The uid map of a user namespace other than the host's.
 *
 * @param uidMap The text of /proc/self/uid_map.
 * @returns Its first line, e.g. "0 100000 65536"; undefined in the initial namespace.
 */
export function userNamespaceMap(uidMap: string): string | undefined {
  const first = uidMap.trim().split("\n")[0] ?? "";
  return INITIAL_MAP.test(first) ? undefined : first.trim().split(/\s+/).join(" ");
}

/**
 * Checks that the cgroup systemd will manage belongs to root of this user namespace.
 *
 * @param uidMap The text of /proc/self/uid_map.
 * @param cgroupOwner The uid, as seen here, owning /sys/fs/cgroup (after the bootstrap's
 *   own cgroup2 mount, if any).
 * @throws {PreflightError} In a user namespace whose root does not own it.
 */
export function checkCgroupOwner(uidMap: string, cgroupOwner: number): void {
  const map = userNamespaceMap(uidMap);
  if (map === undefined || cgroupOwner === 0) return;
  throw new PreflightError(
    `the container runs in a user namespace (uid map "${map}") and its cgroup ` +
      `/sys/fs/cgroup belongs to uid ${cgroupOwner}, not to its root, so systemd cannot ` +
      "create its cgroups (it would exit with 255)",
    "run without --userns-remap, or with an engine that hands the container's cgroup " +
      "to its root (docs/hardening.md)",
  );
}
