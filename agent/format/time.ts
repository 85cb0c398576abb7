/**
 * Timestamps as bytes for the text formats, in UTC: ISO 8601 / RFC 3339 seconds
 * (`2026-11-29T18:26:58`) and the syslog form (`Nov 29 18:26:58`), with the formatted
 * second cached so consecutive entries of the same second cost a copy.
 *
 * @module
 */
import type { OutputBuffer } from "./buffer.ts";

const MONTHS = new TextEncoder().encode("JanFebMarAprMayJunJulAugSepOctNovDec");

/**
 * The civil date of a day count since 1970-01-01 (proleptic Gregorian), after Howard
 * Hinnant's `civil_from_days`.
 *
 * @returns [year, month 1-12, day 1-31].
 */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
      Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function two(b: Uint8Array, p: number, v: number): number {
  b[p] = 48 + Math.floor(v / 10);
  b[p + 1] = 48 + (v % 10);
  return p + 2;
}

/** Formats seconds since the epoch, caching the last second formatted. */
export class SecondFormatter {
  #iso = new Uint8Array(19);
  #syslog = new Uint8Array(15);
  #second = NaN;

  #update(second: number): void {
    if (second === this.#second) return;
    this.#second = second;
    const days = Math.floor(second / 86400);
    let rem = second - days * 86400;
    const hh = Math.floor(rem / 3600);
    rem -= hh * 3600;
    const mm = Math.floor(rem / 60);
    const ss = rem - mm * 60;
    const [y, mo, d] = civilFromDays(days);
    const b = this.#iso;
    const yy = String(y).padStart(4, "0");
    for (let k = 0; k < 4; k++) b[k] = yy.charCodeAt(k);
    b[4] = 45;
    two(b, 5, mo);
    b[7] = 45;
    two(b, 8, d);
    b[10] = 84;
    two(b, 11, hh);
    b[13] = 58;
    two(b, 14, mm);
    b[16] = 58;
    two(b, 17, ss);
    const s = this.#syslog;
    s[0] = MONTHS[(mo - 1) * 3]!;
    s[1] = MONTHS[(mo - 1) * 3 + 1]!;
    s[2] = MONTHS[(mo - 1) * 3 + 2]!;
    s[3] = 32;
    two(s, 4, d);
    s[6] = 32;
    s.set(b.subarray(11, 19), 7);
  }

  /**
   * Writes `YYYY-MM-DDTHH:MM:SS` (19 bytes) for `second` at `b[p]`.
   *
   * @returns The position after it.
   */
  iso(second: number, b: Uint8Array, p: number): number {
    this.#update(second);
    const src = this.#iso;
    for (let k = 0; k < 19; k++) b[p++] = src[k]!;
    return p;
  }

  /**
   * Writes `Mmm DD HH:MM:SS` (15 bytes, strftime `%b %d %H:%M:%S` in the C locale).
   *
   * @returns The position after it.
   */
  syslog(second: number, b: Uint8Array, p: number): number {
    this.#update(second);
    const src = this.#syslog;
    for (let k = 0; k < 15; k++) b[p++] = src[k]!;
    return p;
  }
}

/**
 * Writes `.uuuuuu` (7 bytes): the microseconds of `usec` within its second.
 *
 * @returns The position after it.
 */
export function writeMicros(usec: number, b: Uint8Array, p: number): number {
  let f = usec % 1_000_000;
  b[p] = 46;
  for (let k = 6; k >= 1; k--) {
    b[p + k] = 48 + (f % 10);
    f = Math.floor(f / 10);
  }
  return p + 7;
}

const seconds = new SecondFormatter();

/**
 * Writes `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` (27 bytes) at the end of `out`.
 *
 * @param out Where to append.
 * @param usec µs since the epoch.
 */
export function writeRfc3339Micros(out: OutputBuffer, usec: number): void {
  const b = out.reserve(27);
  let p = seconds.iso(Math.floor(usec / 1e6), b, out.length);
  p = writeMicros(usec, b, p);
  b[p++] = 90; // Z
  out.length = p;
}
