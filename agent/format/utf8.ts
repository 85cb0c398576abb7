/**
 * UTF-8 validation in place (RFC 3629), for the encoders in escape.ts.
 *
 * @module
 */

/**
 * The length of the valid UTF-8 sequence starting with a byte >= 0x80 at `d[i]`
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 *
 * @returns 2, 3 or 4; or 0 if the bytes there are not valid UTF-8.
 */
export function utf8Length(d: Uint8Array, i: number, end: number): number {
  const c = d[i]!;
  let len: number;
  let v: number;
  if ((c & 0xe0) === 0xc0) {
    len = 2;
    v = c & 0x1f;
  } else if ((c & 0xf0) === 0xe0) {
    len = 3;
    v = c & 0x0f;
  } else if ((c & 0xf8) === 0xf0) {
    len = 4;
    v = c & 0x07;
  } else return 0; // continuation byte as lead, or a 5/6-byte form (always > U+10FFFF)
  if (i + len > end) return 0;
  for (let k = 1; k < len; k++) {
    const b = d[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    v = (v << 6) | (b & 0x3f);
  }
  if (len === 2) return v < 0x80 ? 0 : 2;
  if (len === 3) return v < 0x800 || (v & 0xfffff800) === 0xd800 ? 0 : 3;
  return v < 0x10000 || v >= 0x110000 ? 0 : 4;
}

/**
 * The length of the valid, printable UTF-8 sequence starting with a byte >= 0x80 at
 * `d[i]`, by systemd's rules (utf8_is_printable(): utf8_encoded_valid_unichar(),
 * unichar_is_valid(), not a C1 control U+0080..U+009F).
 *
 * @returns 2, 3 or 4; or 0 if the sequence is invalid, overlong, truncated, a
 *   surrogate, a noncharacter (U+FDD0..U+FDEF, U+xxFFFE/F), above U+10FFFF or C1.
 */
export function printableUtf8Length(d: Uint8Array, i: number, end: number): number {
  const n = utf8Length(d, i, end);
  if (n === 2) return d[i] === 0xc2 && d[i + 1]! < 0xa0 ? 0 : 2; // C1 control
  if (n === 3) {
    const c = d[i]!;
    const v = ((c & 0x0f) << 12) | ((d[i + 1]! & 0x3f) << 6) | (d[i + 2]! & 0x3f);
    return (v >= 0xfdd0 && v <= 0xfdef) || (v & 0xfffe) === 0xfffe ? 0 : 3;
  }
  if (n === 4) {
    // U+xFFFE and U+xFFFF of planes 1-16: the last two bytes are BF BE / BF BF.
    return (d[i + 1]! & 0x0f) === 0x0f && d[i + 2] === 0xbf && (d[i + 3]! & 0xfe) === 0xbe ? 0 : 4;
  }
  return 0;
}
