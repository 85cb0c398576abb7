/**
 * containering-systemd's reusable library: the pieces of the container entrypoint and
 * of the journal agent, for programs of one's own.
 *
 * @module
 */
export * from "./bootstrap/capabilities.ts";
export * from "./bootstrap/cgroup.ts";
export * from "./bootstrap/config.ts";
export * from "./bootstrap/doctor.ts";
export * from "./bootstrap/environment.ts";
export * from "./bootstrap/exec.ts";
export * from "./bootstrap/health.ts";
export * from "./bootstrap/main.ts";
export * from "./bootstrap/preflight.ts";
export * from "./ffi/libc.ts";
export * from "./agent/config.ts";
export * from "./agent/cursor_store.ts";
export * from "./agent/fd.ts";
export * from "./agent/fd_store.ts";
export * from "./agent/main.ts";
export * from "./agent/output_sink.ts";
export * from "./agent/staging.ts";
export * from "./agent/sink/delivery.ts";
export * from "./agent/write_all.ts";
export * from "./ffi/libsystemd.ts";
export * from "./agent/journal.ts";
export * from "./agent/output_buffer.ts";
export * from "./agent/reader.ts";
export * from "./agent/filter.ts";
export * from "./agent/format_entry.ts";
export * from "./agent/format_escape.ts";
export * from "./agent/format_json.ts";
export * from "./agent/format_short.ts";
export * from "./agent/format_logfmt.ts";
export * from "./agent/format_collector.ts";
export * from "./agent/format_time.ts";
