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
