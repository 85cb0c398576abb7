/**
 * 128-bit IDs (sd-id128(3)): boot IDs and the like, as 16 bytes or 32 hex digits.
 *
 * @module
 */

const HEX = new TextEncoder().encode("0123456789abcdef");

/**
 * Converts an sd_id128_t's 16 bytes to 32 lowercase hex digits (ASCII), as
 * SD_ID128_TO_STRING does.
 *
 * @param id The 16 bytes.
 * @param out Where the 32 digits go.
 */
export function id128ToHex(id: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < 16; i++) {
    const b = id[i]!;
    out[2 * i] = HEX[b >> 4]!;
    out[2 * i + 1] = HEX[b & 15]!;
  }
}

/**
 * Parses 32 hex digits (or a UUID with dashes) into an sd_id128_t's 16 bytes.
 *
 * @throws {SyntaxError} If `s` is not an ID.
 */
export function parseId128(s: string): Uint8Array<ArrayBuffer> {
  const hex = s.replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new SyntaxError(`Invalid 128-bit ID: "${s}"`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
