/**
 * containering-systemd's reusable library: the pieces of the container entrypoint and
 * of the journal agent, for programs of one's own.
 *
 * @module
 */
export * from "./bootstrap/capabilities.ts";
export * from "./bootstrap/cgroup.ts";
export * from "./bootstrap/exec.ts";
export * from "./ffi/libc.ts";
