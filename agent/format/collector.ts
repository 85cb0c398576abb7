/**
 * The `collector` output format: one compact JSON object per line for log collectors
 * (Fluent Bit, Vector, Promtail and the like), with a fixed small schema:
 *
 * ```json
 * {"time":"2026-11-29T18:26:58.530479Z","unit":"nginx.service","identifier":"nginx","pid":123,"priority":6,"message":"GET /"}
 * ```
 *
 * - `time`: RFC 3339 in UTC with microseconds, from _SOURCE_REALTIME_TIMESTAMP when
 *   valid, else the entry's realtime timestamp (what journalctl displays).
 * - `unit`: _SYSTEMD_UNIT; `identifier`: SYSLOG_IDENTIFIER, else _COMM; `pid`: _PID,
 *   else SYSLOG_PID, as a number. Each is left out when the entry lacks it.
 * - `priority`: PRIORITY as a number, 6 (info) when missing or invalid.
 * - `message`: MESSAGE, `""` when missing.
 * - Then each configured extra field present in the entry, under its journal name
 *   (e.g. `"CONTAINER_NAME":"web"`); a repeated field with its last value.
 *
 * Strings are always JSON strings: control characters are escaped (`\n`, `\r`, `\t`,
 * `\u00XX`) and bytes that are not valid UTF-8 become U+FFFD (use the `json` format to
 * keep every byte).
 *
 * @module
 */
import type { EntryFields } from "../source/entry.ts";
import { Known } from "../source/known_fields.ts";
import { writeBytes, writeDecimal, writeJsonStringLossy } from "./escape.ts";
import { writeRfc3339Micros } from "./time.ts";
import type { OutputBuffer } from "./buffer.ts";

const enc = new TextEncoder();
const K_TIME = enc.encode('{"time":"');
const K_UNIT = enc.encode(',"unit":');
const K_IDENT = enc.encode(',"identifier":');
const K_PID = enc.encode(',"pid":');
const K_PRIORITY = enc.encode(',"priority":');
const K_MESSAGE = enc.encode(',"message":');
const EMPTY = enc.encode('""');
const END = enc.encode("}\n");

let extraKeys: Uint8Array[] = [];
let extraKeysFor: readonly string[] = [];

/**
 * Appends one entry as a `collector` line.
 *
 * @param entry The entry (with the extra names set, see EntryFields.setExtraNames).
 * @param out Where to append.
 */
export function formatCollector(entry: EntryFields, out: OutputBuffer): void {
  const k = entry.known;
  const d = entry.data;
  writeBytes(out, K_TIME);
  writeRfc3339Micros(out, entry.displayRealtime());
  out.reserve(1)[out.length++] = 34;
  const unit = k[Known._SYSTEMD_UNIT]!;
  if (unit >= 0) {
    writeBytes(out, K_UNIT);
    writeJsonStringLossy(out, d, entry.eqs[unit]! + 1, entry.ends[unit]!);
  }
  const ident = entry.identifierField();
  if (ident >= 0) {
    writeBytes(out, K_IDENT);
    writeJsonStringLossy(out, d, entry.eqs[ident]! + 1, entry.ends[ident]!);
  }
  const pid = entry.pid();
  if (pid >= 0) {
    writeBytes(out, K_PID);
    writeDecimal(out, pid);
  }
  writeBytes(out, K_PRIORITY);
  writeDecimal(out, entry.priority());
  writeBytes(out, K_MESSAGE);
  const m = k[Known.MESSAGE]!;
  if (m >= 0) writeJsonStringLossy(out, d, entry.eqs[m]! + 1, entry.ends[m]!);
  else writeBytes(out, EMPTY);
  const names = entry.extraNames;
  if (names.length > 0) {
    if (extraKeysFor !== names) {
      extraKeys = names.map((n) => enc.encode(`,${JSON.stringify(n)}:`));
      extraKeysFor = names;
    }
    for (let e = 0; e < names.length; e++) {
      const i = entry.extraIndex(e);
      if (i < 0) continue;
      writeBytes(out, extraKeys[e]!);
      writeJsonStringLossy(out, d, entry.eqs[i]! + 1, entry.ends[i]!);
    }
  }
  writeBytes(out, END);
}
