/**
 * The `logfmt` output format: one line of `key=value` pairs per entry.
 *
 * ```
 * time=2026-11-29T18:26:58.530479Z priority=info unit=nginx.service identifier=nginx pid=123 message="GET / 200"
 * ```
 *
 * Keys and their sources are those of the `collector` format (see
 * collector.ts): `time`, `priority` (here as its name: emerg, alert, crit, err,
 * warning, notice, info, debug), `unit`, `identifier`, `pid`, `message` (always
 * present, `""` when missing), then each configured extra field present in the entry
 * under its journal name.
 *
 * A value is written bare when it is non-empty printable UTF-8 without space, `=`, `"`
 * or `\`; otherwise it is quoted: `"` and `\` get a backslash, newline, carriage return
 * and tab become `\n`, `\r`, `\t`, other control characters and bytes that are not
 * valid UTF-8 `\xNN`. So every entry stays on one line, and a quoted value can be
 * decoded back to its bytes.
 *
 * @module
 */
import type { EntryFields } from "../source/entry.ts";
import { Known } from "../source/known_fields.ts";
import { writeBytes, writeDecimal, writeTextEscaped } from "./escape.ts";
import { printableUtf8Length } from "./utf8.ts";
import { writeRfc3339Micros } from "./time.ts";
import type { OutputBuffer } from "./buffer.ts";

const enc = new TextEncoder();
const K_TIME = enc.encode("time=");
const K_PRIORITY = enc.encode(" priority=");
const K_UNIT = enc.encode(" unit=");
const K_IDENT = enc.encode(" identifier=");
const K_PID = enc.encode(" pid=");
const K_MESSAGE = enc.encode(" message=");
const EMPTY = enc.encode('""');
const NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"].map((n) =>
  enc.encode(n)
);

let extraKeys: Uint8Array[] = [];
let extraKeysFor: readonly string[] = [];

/**
 * Whether `d[start..end)` can be written as a bare logfmt value.
 */
export function isBareValue(d: Uint8Array, start: number, end: number): boolean {
  if (start === end) return false;
  let i = start;
  while (i < end) {
    const c = d[i]!;
    if (c < 0x80) {
      if (c <= 0x20 || c === 0x3d || c === 0x22 || c === 0x5c || c === 0x7f) return false;
      i++;
    } else {
      const n = printableUtf8Length(d, i, end);
      if (n === 0) return false;
      i += n;
    }
  }
  return true;
}

/**
 * Appends a logfmt value: bare if {@link isBareValue}, else quoted and escaped.
 */
export function writeLogfmtValue(
  out: OutputBuffer,
  d: Uint8Array,
  start: number,
  end: number,
): void {
  if (isBareValue(d, start, end)) {
    const b = out.reserve(end - start);
    b.set(d.subarray(start, end), out.length);
    out.length += end - start;
    return;
  }
  out.reserve(1)[out.length++] = 34;
  writeTextEscaped(out, d, start, end, true);
  out.reserve(1)[out.length++] = 34;
}

/**
 * Appends one entry as a `logfmt` line.
 *
 * @param entry The entry (with the extra names set, see EntryFields.setExtraNames).
 * @param out Where to append.
 */
export function formatLogfmt(entry: EntryFields, out: OutputBuffer): void {
  const k = entry.known;
  const d = entry.data;
  writeBytes(out, K_TIME);
  writeRfc3339Micros(out, entry.displayRealtime());
  writeBytes(out, K_PRIORITY);
  writeBytes(out, NAMES[entry.priority()]!);
  const unit = k[Known._SYSTEMD_UNIT]!;
  if (unit >= 0) {
    writeBytes(out, K_UNIT);
    writeLogfmtValue(out, d, entry.eqs[unit]! + 1, entry.ends[unit]!);
  }
  const ident = entry.identifierField();
  if (ident >= 0) {
    writeBytes(out, K_IDENT);
    writeLogfmtValue(out, d, entry.eqs[ident]! + 1, entry.ends[ident]!);
  }
  const pid = entry.pid();
  if (pid >= 0) {
    writeBytes(out, K_PID);
    writeDecimal(out, pid);
  }
  writeBytes(out, K_MESSAGE);
  const m = k[Known.MESSAGE]!;
  if (m >= 0) writeLogfmtValue(out, d, entry.eqs[m]! + 1, entry.ends[m]!);
  else writeBytes(out, EMPTY);
  const names = entry.extraNames;
  if (names.length > 0) {
    if (extraKeysFor !== names) {
      extraKeys = names.map((n) => enc.encode(` ${n}=`));
      extraKeysFor = names;
    }
    for (let e = 0; e < names.length; e++) {
      const i = entry.extraIndex(e);
      if (i < 0) continue;
      writeBytes(out, extraKeys[e]!);
      writeLogfmtValue(out, d, entry.eqs[i]! + 1, entry.ends[i]!);
    }
  }
  out.reserve(1)[out.length++] = 10;
}
