/**
 * The text formats with journalctl's meanings (logs-show.c output_short(),
 * output_cat()), always one line per entry:
 *
 * - `short-iso`: `2026-11-29T18:26:58+00:00 host ident[pid]: message`
 * - `short-precise`: `Nov 29 18:26:58.530479 host ident[pid]: message`
 * - `cat`: the message only.
 *
 * As journalctl: the timestamp is _SOURCE_REALTIME_TIMESTAMP when valid, else the
 * entry's realtime; the host is _HOSTNAME (left out when absent); the identifier is
 * SYSLOG_IDENTIFIER, else _COMM, else `unknown`; the PID is _PID, else SYSLOG_PID (left
 * out when absent); a repeated field counts with its last value; entries without
 * MESSAGE are not printed.
 *
 * Differences from `journalctl --all`, all to keep one entry per line and the terminal
 * safe: newline in a value is written `\n` (journalctl starts a new, indented line),
 * carriage return `\r`, other control characters and bytes that are not valid UTF-8
 * `\xNN` (journalctl copies them); tab and backslash are copied. Timestamps are in UTC
 * (as with `journalctl --utc`); the offset is written `+00:00` as systemd 255 and later
 * do (systemd 252 wrote `+0000`).
 *
 * @module
 */
import type { EntryFields } from "../source/entry.ts";
import { Known } from "../source/known_fields.ts";
import { writeTextEscaped } from "./escape.ts";
import { SecondFormatter, writeMicros } from "./time.ts";
import type { OutputBuffer } from "./buffer.ts";

const seconds = new SecondFormatter();
const UNKNOWN = new TextEncoder().encode("unknown");
const UTC_OFFSET = new TextEncoder().encode("+00:00");

/**
 * Appends one entry as a `short-iso` line.
 *
 * @param entry The entry.
 * @param out Where to append.
 * @returns false if the entry has no MESSAGE and nothing was written.
 */
export function formatShortIso(entry: EntryFields, out: OutputBuffer): boolean {
  if (entry.known[Known.MESSAGE]! < 0) return false;
  const b = out.reserve(32);
  let p = seconds.iso(Math.floor(entry.displayRealtime() / 1e6), b, out.length);
  for (let k = 0; k < 6; k++) b[p++] = UTC_OFFSET[k]!;
  out.length = p;
  writeRest(entry, out);
  return true;
}

/**
 * Appends one entry as a `short-precise` line.
 *
 * @param entry The entry.
 * @param out Where to append.
 * @returns false if the entry has no MESSAGE and nothing was written.
 */
export function formatShortPrecise(entry: EntryFields, out: OutputBuffer): boolean {
  if (entry.known[Known.MESSAGE]! < 0) return false;
  const b = out.reserve(32);
  const usec = entry.displayRealtime();
  let p = seconds.syslog(Math.floor(usec / 1e6), b, out.length);
  p = writeMicros(usec, b, p);
  out.length = p;
  writeRest(entry, out);
  return true;
}

/**
 * Appends one entry as a `cat` line: the MESSAGE field's value only.
 *
 * @param entry The entry.
 * @param out Where to append.
 * @returns false if the entry has no MESSAGE and nothing was written.
 */
export function formatCat(entry: EntryFields, out: OutputBuffer): boolean {
  const m = entry.known[Known.MESSAGE]!;
  if (m < 0) return false;
  writeTextEscaped(out, entry.data, entry.eqs[m]! + 1, entry.ends[m]!);
  newline(out);
  return true;
}

function newline(out: OutputBuffer): void {
  out.reserve(1)[out.length] = 10;
  out.length++;
}

function byte(out: OutputBuffer, c: number): void {
  out.reserve(1)[out.length] = c;
  out.length++;
}

function value(entry: EntryFields, out: OutputBuffer, i: number): void {
  writeTextEscaped(out, entry.data, entry.eqs[i]! + 1, entry.ends[i]!);
}

/** ` host ident[pid]: message\n` after the timestamp. */
function writeRest(entry: EntryFields, out: OutputBuffer): void {
  const k = entry.known;
  const host = k[Known._HOSTNAME]!;
  if (host >= 0) {
    byte(out, 32);
    value(entry, out, host);
  }
  byte(out, 32);
  const ident = entry.identifierField();
  if (ident >= 0) value(entry, out, ident);
  else {
    out.reserve(7).set(UNKNOWN, out.length);
    out.length += 7;
  }
  const pid = entry.pidField();
  if (pid >= 0) {
    byte(out, 91);
    value(entry, out, pid);
    byte(out, 93);
  }
  byte(out, 58);
  byte(out, 32);
  value(entry, out, k[Known.MESSAGE]!);
  newline(out);
}
