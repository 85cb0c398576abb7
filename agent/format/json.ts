/**
 * The `json` output format: one JSON object per line with the same field names and
 * value encoding as `journalctl -o json --all` (logs-show.c output_json()).
 *
 * - `__CURSOR`, `__REALTIME_TIMESTAMP`, `__MONOTONIC_TIMESTAMP`, `_BOOT_ID` (from the
 *   entry header, the stored `_BOOT_ID=` field is skipped as journalctl does), and with
 *   libsystemd 254+ `__SEQNUM` and `__SEQNUM_ID`; every value a string.
 * - Then every field of the entry: a string if its value is printable UTF-8, else an
 *   array of its byte values; a field that occurs more than once becomes an array of
 *   its values (each a string or a byte array), in the order they are stored.
 * - Never `null`: large fields come whole (`--all`).
 *
 * Key order: journalctl prints the keys in hash-table order, which changes from run to
 * run; here the header keys come first, then the fields in their stored order (as
 * `journalctl -o export` lists them), a field that repeats at its first position.
 *
 * @module
 */
import type { EntryFields } from "../source/entry.ts";
import { Known } from "../source/known_fields.ts";
import {
  escapeJsonString,
  writeByteArray,
  writeBytes,
  writeDecimal,
  writeJsonAscii,
  writeJsonValue,
} from "./escape.ts";
import type { OutputBuffer } from "./buffer.ts";

const enc = new TextEncoder();
const K_CURSOR = enc.encode('{"__CURSOR":');
const K_REALTIME = enc.encode(',"__REALTIME_TIMESTAMP":"');
const K_MONOTONIC = enc.encode('","__MONOTONIC_TIMESTAMP":"');
const K_BOOT_ID = enc.encode('","_BOOT_ID":"');
const K_SEQNUM = enc.encode('","__SEQNUM":"');
const K_SEQNUM_ID = enc.encode('","__SEQNUM_ID":"');

// Scratch for repeated-field detection, reused across entries.
let firstOf = new Int32Array(64);
// Grown to at least twice the entry's field count, so the probe below always ends on a
// free slot (an entry may have thousands of fields).
let tableMask = 255;
let tableGen = new Int32Array(tableMask + 1);
let tableIdx = new Int32Array(tableMask + 1);
let generation = 0;

/**
 * Appends one entry as a `journalctl -o json --all` line (newline-terminated).
 *
 * @param entry The entry, read with its cursor.
 * @param out Where to append.
 */
export function formatJson(entry: EntryFields, out: OutputBuffer): void {
  writeBytes(out, K_CURSOR);
  writeJsonAscii(out, entry.cursor, 0, entry.cursorLength);
  writeBytes(out, K_REALTIME);
  writeDecimal(out, entry.realtime);
  writeBytes(out, K_MONOTONIC);
  writeDecimal(out, entry.monotonic);
  writeBytes(out, K_BOOT_ID);
  writeBytes(out, entry.bootId);
  if (entry.hasSeqnum) {
    writeBytes(out, K_SEQNUM);
    writeDecimal(out, entry.seqnum);
    writeBytes(out, K_SEQNUM_ID);
    writeBytes(out, entry.seqnumId);
  }
  let b = out.reserve(1);
  b[out.length] = 34; // closing quote of the last header value
  out.length++;

  const n = entry.count;
  const d = entry.data;
  const { starts, eqs, ends, hashes } = entry;
  if (firstOf.length < n) firstOf = new Int32Array(n * 2);
  const bootIdx = entry.known[Known._BOOT_ID]!;
  // Repeated names: an open-addressed table of name hash -> first field index, cleared
  // by bumping a generation number instead of refilling it.
  if (n * 2 > tableMask + 1) {
    let size = tableMask + 1;
    while (size < n * 2) size *= 2;
    tableMask = size - 1;
    tableGen = new Int32Array(size);
    tableIdx = new Int32Array(size);
  }
  const gen = ++generation;
  let repeats = false;
  for (let i = 0; i < n; i++) {
    firstOf[i] = i;
    const h = hashes[i]!;
    let slot = h & tableMask;
    while (tableGen[slot] === gen) {
      const j = tableIdx[slot]!;
      if (hashes[j] === h && sameName(d, starts, eqs, i, j)) {
        firstOf[i] = j;
        repeats = true;
        break;
      }
      slot = (slot + 1) & tableMask;
    }
    if (firstOf[i] === i) {
      tableGen[slot] = gen;
      tableIdx[slot] = i;
    }
  }
  for (let i = 0; i < n; i++) {
    if (firstOf[i] !== i) continue;
    if (bootIdx >= 0 && firstOf[bootIdx] === i) continue; // from the header instead
    const s = starts[i]!;
    const eq = eqs[i]!;
    const end = ends[i]!;
    // Key and value in one reservation: ,"NAME": plus a value escaped to at most
    // twice its length plus quotes (the byte-array fallback reserves for itself).
    b = out.reserve(eq - s + 2 * (end - eq) + 8);
    let p = out.length;
    b[p++] = 44;
    b[p++] = 34;
    for (let k = s; k < eq; k++) b[p++] = d[k]!;
    b[p++] = 34;
    b[p++] = 58;
    let more = false;
    if (repeats) {
      for (let j = i + 1; j < n; j++) {
        if (firstOf[j] === i) {
          more = true;
          break;
        }
      }
    }
    if (!more) {
      const q = escapeJsonString(d, eq + 1, end, b, p);
      if (q >= 0) out.length = q;
      else {
        out.length = p;
        writeByteArray(out, d, eq + 1, end);
      }
      continue;
    }
    out.length = p;
    writeBytes(out, OPEN);
    writeJsonValue(out, d, eq + 1, end);
    for (let j = i + 1; j < n; j++) {
      if (firstOf[j] !== i) continue;
      writeBytes(out, COMMA);
      writeJsonValue(out, d, eqs[j]! + 1, ends[j]!);
    }
    writeBytes(out, CLOSE);
  }
  writeBytes(out, END);
}

const OPEN = enc.encode("[");
const COMMA = enc.encode(",");
const CLOSE = enc.encode("]");
const END = enc.encode("}\n");

function sameName(
  d: Uint8Array,
  starts: Int32Array,
  eqs: Int32Array,
  i: number,
  j: number,
): boolean {
  const si = starts[i]!;
  const sj = starts[j]!;
  const len = eqs[i]! - si;
  if (eqs[j]! - sj !== len) return false;
  for (let k = 0; k < len; k++) if (d[si + k] !== d[sj + k]) return false;
  return true;
}
