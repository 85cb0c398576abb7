/**
 * Timestamps as bytes for the text formats, in UTC: ISO 8601 / RFC 3339 seconds
 * (`2026-11-29T18:26:58`) and the syslog form (`Nov 29 18:26:58`), with the formatted
 * second cached so consecutive entries of the same second cost a copy.
 *
 * @module
 */
import type { OutputBuffer } from "./buffer.ts";

const MONTHS = new TextEncoder().encode("JanFebMarAprMayJunJulAugSepOctNovDec");

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
    // Once per second: a Date is cheap enough, and knows the calendar.
    const date = new Date(second * 1000);
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const hh = date.getUTCHours();
    const mm = date.getUTCMinutes();
    const ss = date.getUTCSeconds();
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
