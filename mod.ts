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
// The journal agent, along its data path: settings, then source → format → sink.
export { OsError } from "./ffi/libc.ts";
export { JournalError } from "./ffi/libsystemd.ts";
export * from "./agent/config.ts";
export * from "./agent/options.ts";
export * from "./agent/main.ts";
export * from "./agent/run.ts";
export * from "./agent/source/journal.ts";
export * from "./agent/source/id128.ts";
export * from "./agent/source/entry.ts";
export * from "./agent/source/known_fields.ts";
export * from "./agent/source/filter.ts";
export * from "./agent/source/reader.ts";
export * from "./agent/source/resume.ts";
export * from "./agent/format/names.ts";
export * from "./agent/format/formats.ts";
export * from "./agent/format/buffer.ts";
export * from "./agent/format/utf8.ts";
export * from "./agent/format/escape.ts";
export * from "./agent/format/time.ts";
export * from "./agent/format/json.ts";
export * from "./agent/format/short.ts";
export * from "./agent/format/logfmt.ts";
export * from "./agent/format/collector.ts";
export * from "./agent/sink/output_fds.ts";
export * from "./agent/sink/output_sink.ts";
export * from "./agent/sink/write_all.ts";
export * from "./agent/sink/fd_store.ts";
export * from "./agent/sink/cursor_store.ts";
export * from "./agent/sink/staging.ts";
export * from "./agent/sink/delivery.ts";
