/**
 * The `container` variable for PID 1's environment, where systemd would not know it runs
 * in a container otherwise.
 *
 * A container manager tells systemd so by setting `container=NAME` in PID 1's environment
 * (systemd's CONTAINER_INTERFACE). Docker does not. systemd 252 and later find out
 * anyway (from /.dockerenv, among others); systemd 247 (Debian 11) does not: it then runs
 * as on a host, and at a halt systemd-shutdown calls reboot(2), which fails in a
 * container without CAP_SYS_BOOT, and freezes instead of exiting (`docker stop` waited
 * 10 s and ended with 137; measured on 247). With `container=docker` it exits with 0.
 *
 * @module
 */

/** The first systemd major version known (tested) to detect Docker by itself. */
export const FIRST_SELF_DETECTING_SYSTEMD = 252;

/**
 * The value to give `container`, or undefined to leave the environment as it is.
 *
 * @param version systemd's major version.
 * @param env The container's environment.
 * @param dockerenv Whether /.dockerenv exists (Docker's mark in every container).
 * @returns "docker" (with /.dockerenv) or "oci" (any other runtime; systemd takes an
 *   unknown name as "a container") for systemd older than
 *   {@link FIRST_SELF_DETECTING_SYSTEMD} when `container` is unset; else undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(containerVariable(247, {}, true), "docker");
 * assert.equal(containerVariable(252, {}, true), undefined);
 * ```
 */
export function containerVariable(
  version: number,
  env: Record<string, string>,
  dockerenv: boolean,
): string | undefined {
  if (version >= FIRST_SELF_DETECTING_SYSTEMD || env.container) return undefined;
  return dockerenv ? "docker" : "oci";
}
