/**
 * Byte-level encoders shared by the output formats: journalctl's JSON value rules
 * (string when printable UTF-8, else an array of byte values) and the escaping of the
 * text formats, which keeps every entry on one line.
 *
 * All work on a field's bytes in place and write straight into an {@link OutputBuffer}:
 * valid UTF-8 is copied as is, no strings are made.
 *
 * @module
 */
import type { OutputBuffer } from "./buffer.ts";
import { printableUtf8Length, utf8Length } from "./utf8.ts";

const HEX = new TextEncoder().encode("0123456789abcdef");

/** "0".."255" as ASCII bytes, for byte arrays and small numbers. */
const DECIMAL: Uint8Array[] = Array.from(
  { length: 256 },
  (_, i) => new TextEncoder().encode(String(i)),
);

/**
 * Writes `d[start..end)` as a JSON string at `b[p]` if it is printable UTF-8 by
 * systemd's rules, with journalctl's escapes (`"` and `\` with a backslash, newline
 * `\n`, tab `\t`; no other control character can occur in printable text).
 *
 * @param b The output, with room for `2 * (end - start) + 2` bytes from `p`.
 * @returns The position after the closing quote, or -1 if the value is not printable
 *   UTF-8 (then a byte array is due; what was written is garbage to overwrite).
 */
export function escapeJsonString(
  d: Uint8Array,
  start: number,
  end: number,
  b: Uint8Array,
  p: number,
): number {
  b[p++] = 34;
  let i = start;
  while (i < end) {
    const c = d[i]!;
    if (c >= 0x20 && c < 0x7f) {
      if (c === 34 || c === 92) b[p++] = 92;
      b[p++] = c;
      i++;
    } else if (c === 10) {
      b[p++] = 92;
      b[p++] = 110;
      i++;
    } else if (c === 9) {
      b[p++] = 92;
      b[p++] = 116;
      i++;
    } else if (c < 0x80) {
      return -1;
    } else {
      const n = printableUtf8Length(d, i, end);
      if (n === 0) return -1;
      for (let k = 0; k < n; k++) b[p++] = d[i + k]!;
      i += n;
    }
  }
  b[p++] = 34;
  return p;
}

/**
 * Appends a field value as `journalctl -o json --all` encodes it (logs-show.c
 * update_json_data() and systemd's JSON string writer): a JSON string if the bytes are
 * printable UTF-8 (tab and newline allowed; `"`, `\` escaped, newline as `\n`, tab as
 * `\t`), otherwise an array of the byte values, e.g. `[104,105,0]`.
 *
 * @param out Where to append.
 * @param d The bytes.
 * @param start First byte of the value.
 * @param end End of the value (exclusive).
 */
export function writeJsonValue(out: OutputBuffer, d: Uint8Array, start: number, end: number): void {
  const b = out.reserve(2 * (end - start) + 2);
  const p = escapeJsonString(d, start, end, b, out.length);
  if (p >= 0) out.length = p;
  else writeByteArray(out, d, start, end);
}

/**
 * Appends `[b0,b1,...]`: the bytes as a JSON array of numbers, as journalctl prints a
 * value that is not printable UTF-8.
 */
export function writeByteArray(out: OutputBuffer, d: Uint8Array, start: number, end: number): void {
  const b = out.reserve(4 * (end - start) + 2);
  let p = out.length;
  b[p++] = 91;
  for (let i = start; i < end; i++) {
    if (i !== start) b[p++] = 44;
    const dec = DECIMAL[d[i]!]!;
    for (let k = 0; k < dec.length; k++) b[p++] = dec[k]!;
  }
  b[p++] = 93;
  out.length = p;
}

/**
 * Appends a JSON string of ASCII bytes that need no escaping (cursors, IDs, numbers).
 */
export function writeJsonAscii(out: OutputBuffer, d: Uint8Array, start: number, end: number): void {
  const b = out.reserve(end - start + 2);
  let p = out.length;
  b[p++] = 34;
  for (let i = start; i < end; i++) b[p++] = d[i]!;
  b[p++] = 34;
  out.length = p;
}

/**
 * Appends a JSON string for arbitrary bytes for the collector format: valid UTF-8 is
 * copied, `"` and `\` are escaped, control characters (C0, DEL, C1) become `\n`, `\r`,
 * `\t` or `\u00XX`, and each byte that is not part of valid UTF-8 (RFC 3629) becomes
 * U+FFFD (the collector format always carries a string; `json` keeps the bytes).
 */
export function writeJsonStringLossy(
  out: OutputBuffer,
  d: Uint8Array,
  start: number,
  end: number,
): void {
  const b = out.reserve(6 * (end - start) + 2);
  let p = out.length;
  b[p++] = 34;
  let i = start;
  while (i < end) {
    const c = d[i]!;
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x7f) {
        if (c === 34 || c === 92) b[p++] = 92;
        b[p++] = c;
      } else if (c === 10) {
        b[p++] = 92;
        b[p++] = 110;
      } else if (c === 13) {
        b[p++] = 92;
        b[p++] = 114;
      } else if (c === 9) {
        b[p++] = 92;
        b[p++] = 116;
      } else p = writeU00(b, p, c);
      i++;
      continue;
    }
    const n = utf8Length(d, i, end);
    if (n === 2 && c === 0xc2 && d[i + 1]! < 0xa0) {
      p = writeU00(b, p, d[i + 1]!); // C1 control
      i += 2;
    } else if (n > 0) {
      for (let k = 0; k < n; k++) b[p++] = d[i + k]!;
      i += n;
    } else {
      b[p++] = 0xef; // U+FFFD
      b[p++] = 0xbf;
      b[p++] = 0xbd;
      i++;
    }
  }
  b[p++] = 34;
  out.length = p;
}

function writeU00(b: Uint8Array, p: number, c: number): number {
  b[p++] = 92;
  b[p++] = 117;
  b[p++] = 48;
  b[p++] = 48;
  b[p++] = HEX[c >> 4]!;
  b[p++] = HEX[c & 15]!;
  return p;
}

/**
 * Appends bytes for a text format so that they stay on one line and the terminal sees
 * no control sequences: printable UTF-8 and tab are copied; newline becomes `\n`,
 * carriage return `\r`; every other control character (C0, DEL, C1) and every byte
 * that is not part of valid UTF-8 becomes `\xNN`. With `quoted`, `"` and `\` are
 * escaped with a backslash and tab becomes `\t` too (logfmt's quoted values); without
 * it a backslash is copied as is, so ordinary messages read exactly as in journalctl.
 *
 * @param out Where to append.
 * @param d The bytes.
 * @param start First byte.
 * @param end End (exclusive).
 * @param quoted Escape `"`, `\` and tab as well.
 */
export function writeTextEscaped(
  out: OutputBuffer,
  d: Uint8Array,
  start: number,
  end: number,
  quoted = false,
): void {
  const b = out.reserve(4 * (end - start));
  let p = out.length;
  let i = start;
  while (i < end) {
    const c = d[i]!;
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x7f) {
        if (quoted && (c === 34 || c === 92)) b[p++] = 92;
        b[p++] = c;
      } else if (c === 10) {
        b[p++] = 92;
        b[p++] = 110;
      } else if (c === 13) {
        b[p++] = 92;
        b[p++] = 114;
      } else if (c === 9) {
        if (quoted) {
          b[p++] = 92;
          b[p++] = 116;
        } else b[p++] = 9;
      } else p = writeXNN(b, p, c);
      i++;
      continue;
    }
    const n = printableUtf8Length(d, i, end);
    if (n > 0) {
      for (let k = 0; k < n; k++) b[p++] = d[i + k]!;
      i += n;
    } else {
      p = writeXNN(b, p, c);
      i++;
    }
  }
  out.length = p;
}

function writeXNN(b: Uint8Array, p: number, c: number): number {
  b[p++] = 92;
  b[p++] = 120;
  b[p++] = HEX[c >> 4]!;
  b[p++] = HEX[c & 15]!;
  return p;
}

/**
 * Appends a non-negative integer in decimal.
 *
 * @param out Where to append.
 * @param n An integer in 0..2^53.
 */
export function writeDecimal(out: OutputBuffer, n: number): void {
  const b = out.reserve(20);
  let p = out.length;
  if (n < 256) {
    const dec = DECIMAL[n]!;
    for (let k = 0; k < dec.length; k++) b[p++] = dec[k]!;
    out.length = p;
    return;
  }
  let digits = 0;
  for (let t = n; t >= 1; t = Math.floor(t / 10)) digits++;
  p += digits;
  out.length = p;
  for (let t = n; digits > 0; digits--) {
    const q = Math.floor(t / 10);
    b[--p] = 48 + (t - q * 10);
    t = q;
  }
}

/** Appends ASCII bytes (a precomputed constant). */
export function writeBytes(out: OutputBuffer, bytes: Uint8Array): void {
  const b = out.reserve(bytes.length);
  let p = out.length;
  for (let k = 0; k < bytes.length; k++) b[p++] = bytes[k]!;
  out.length = p;
}
