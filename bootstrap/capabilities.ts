/**
 * Capability adjustments made before systemd starts.
 *
 * @module
 */
import { libc, OsError } from "../ffi/libc.ts";

/** CAP_SYS_ADMIN's number (capabilities(7)). */
export const CAP_SYS_ADMIN = 21;
/** CAP_SYS_BOOT's number (capabilities(7)). */
export const CAP_SYS_BOOT = 22;
/** CAP_SYS_PTRACE's number (capabilities(7)). */
export const CAP_SYS_PTRACE = 19;
/**
 * A capability the image's units need beyond CAP_SYS_ADMIN (which the /run and cgroup
 * checks cover), and what fails without it.
 */
export interface RequiredCapability {
  /** The number (capabilities(7)). */
  number: number;
  /** The name as `docker run --cap-add` and Kubernetes' `capabilities.add` take it. */
  name: string;
  /** What fails without it, as measured on systemd 252, 257 and 262. */
  neededBy: string;
}

/**
 * The capabilities of Docker's (and Podman's, containerd's) default set that the image
 * cannot do without, each found by dropping it alone (`--cap-drop X`) from the minimal
 * flags: journald, the agent, dbus or logind fail without it. The other defaults
 * (FOWNER, FSETID, KILL, MKNOD, NET_RAW, NET_BIND_SERVICE, SETFCAP, AUDIT_WRITE) can go:
 * every unit still starts (docs/hardening.md).
 */
export const REQUIRED_CAPABILITIES: readonly RequiredCapability[] = [
  { number: 0, name: "CHOWN", neededBy: "sockets with SocketGroup=, systemd 262" },
  {
    number: 1,
    name: "DAC_OVERRIDE",
    neededBy: "sandboxed units: journalagent on 252, logind, machine-id-commit",
  },
  { number: 6, name: "SETGID", neededBy: "dbus" },
  { number: 7, name: "SETUID", neededBy: "dbus" },
  { number: 8, name: "SETPCAP", neededBy: "journald" },
  { number: 18, name: "SYS_CHROOT", neededBy: "sandboxed units: journalagent, logind" },
];

/**
 * The {@link REQUIRED_CAPABILITIES} missing from a capability set.
 *
 * @param capEffHex The effective set as hex (the `CapEff:` line of /proc/self/status).
 * @returns Those missing, in the table's order; empty if none is.
 */
export function missingCapabilities(capEffHex: string): RequiredCapability[] {
  return REQUIRED_CAPABILITIES.filter((c) => !hasCapability(capEffHex, c.number));
}

/** prctl(2) option that removes a capability from the bounding set. */
const PR_CAPBSET_DROP = 24;

/**
 * Whether capability `cap` is in the bounding set given as hex (the `CapBnd:` line of
 * /proc/self/status, proc(5)).
 *
 * @param capBndHex e.g. "000001ffffffffff".
 * @param cap A capability number, e.g. {@link CAP_SYS_BOOT}.
 */
export function hasCapability(capBndHex: string, cap: number): boolean {
  return ((BigInt(`0x${capBndHex}`) >> BigInt(cap)) & 1n) === 1n;
}

/**
 * One capability set of this process, as hex, from /proc/self/status (proc(5)).
 *
 * @param set "CapEff" (effective), "CapBnd" (bounding), "CapPrm" or "CapInh".
 * @param status The text of /proc/self/status; read when omitted.
 * @returns e.g. "00000000a80425fb"; "0" if the line is missing.
 */
export function capabilitySet(
  set: "CapEff" | "CapBnd" | "CapPrm" | "CapInh",
  status?: string,
): string {
  const text = status ?? Deno.readTextFileSync("/proc/self/status");
  return new RegExp(`^${set}:\\s*([0-9a-f]+)$`, "m").exec(text)?.[1] ?? "0";
}

/**
 * Removes CAP_SYS_BOOT from the bounding set when it is there (e.g. `--privileged`).
 *
 * In a PID namespace, reboot(2) by PID 1 ends it with SIGINT, so a halted container
 * would exit with 130. Without CAP_SYS_BOOT, systemd-shutdown's reboot(2) fails with
 * EPERM and, in a container, it exits with status 0 instead (systemd's
 * src/shutdown/shutdown.c).
 *
 * @returns true if it was dropped, false if it was not there.
 * @throws {OsError} If prctl(2) refuses (no CAP_SETPCAP).
 */
export function dropSysBoot(): boolean {
  if (!hasCapability(capabilitySet("CapBnd"), CAP_SYS_BOOT)) return false;
  if (libc().prctl(PR_CAPBSET_DROP, BigInt(CAP_SYS_BOOT), 0n, 0n, 0n) !== 0) {
    throw new OsError("Cannot drop CAP_SYS_BOOT from the bounding set");
  }
  return true;
}
