/**
 * The journal fields the formatters and filters use, by index, so that an entry locates
 * them while its fields are collected (see entry.ts).
 *
 * @module
 */

/** Indexes into {@link EntryFields.known} of the fields the formatters and filters use. */
export const Known = {
  MESSAGE: 0,
  PRIORITY: 1,
  _PID: 2,
  SYSLOG_PID: 3,
  SYSLOG_IDENTIFIER: 4,
  _COMM: 5,
  _HOSTNAME: 6,
  _SYSTEMD_UNIT: 7,
  UNIT: 8,
  COREDUMP_UNIT: 9,
  OBJECT_SYSTEMD_UNIT: 10,
  MESSAGE_ID: 11,
  _UID: 12,
  _SOURCE_REALTIME_TIMESTAMP: 13,
  _BOOT_ID: 14,
} as const;
/** One of the {@link Known} indexes. */
export type Known = typeof Known[keyof typeof Known];

/** The field names of {@link Known}, in its order. */
export const KNOWN_NAMES = [
  "MESSAGE",
  "PRIORITY",
  "_PID",
  "SYSLOG_PID",
  "SYSLOG_IDENTIFIER",
  "_COMM",
  "_HOSTNAME",
  "_SYSTEMD_UNIT",
  "UNIT",
  "COREDUMP_UNIT",
  "OBJECT_SYSTEMD_UNIT",
  "MESSAGE_ID",
  "_UID",
  "_SOURCE_REALTIME_TIMESTAMP",
  "_BOOT_ID",
] as const;

/** The hash of a field name used to find well-known and repeated fields. */
export function nameHash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  return h;
}
