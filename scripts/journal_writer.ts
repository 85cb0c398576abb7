/**
 * Writes journal entries over journald's native protocol (sd_journal_sendv(3)), for the
 * benchmark and the format tests. Runs inside a container of the image, with the
 * image's Deno.
 *
 * Usage: deno run -A scripts/journal_writer.ts --count N [--size BYTES] [--identifier ID]
 *
 * Writes N entries whose MESSAGE is about BYTES long (default 100), with
 * SYSLOG_IDENTIFIER=ID (default "csd-bench") and PRIORITY=6, then prints the number of
 * entries written and the rate. Environment: CSD_LIBSYSTEMD (library path).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { check, libsystemd } from "../ffi/libsystemd.ts";

const enc = new TextEncoder();

/**
 * Sends one entry (sd_journal_sendv(3)): each field `NAME=value`, any bytes allowed in
 * the value (newlines, NUL, invalid UTF-8).
 *
 * @param fields The fields, as text or bytes.
 * @throws {JournalError} If journald cannot be reached or refuses the entry.
 */
export function sendEntry(fields: readonly (string | Uint8Array)[]): void {
  const bufs = fields.map((f) => typeof f === "string" ? enc.encode(f) : f);
  // All fields in one arena of at least 4 KiB: V8 keeps typed arrays of up to 64 bytes
  // on its moving heap, where an address taken from them does not stay valid.
  const arena = new Uint8Array(Math.max(4096, bufs.reduce((n, b) => n + b.length, 0)));
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(arena)));
  const iov = new BigUint64Array(bufs.length * 2);
  let off = 0;
  bufs.forEach((b, i) => {
    arena.set(b, off);
    iov[2 * i] = base + BigInt(off);
    iov[2 * i + 1] = BigInt(b.length);
    off += b.length;
  });
  check(libsystemd().sd_journal_sendv(iov, bufs.length), "Cannot send a journal entry");
}

/** The text the messages of {@link sendMany} repeat after their sequence number. */
export const FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit ";

/**
 * The first bytes of the MESSAGE of entry `i` of {@link sendMany}: the sequence number
 * space-padded to 10 digits, then the filler from its 11th character.
 */
export function messageStart(i: number): string {
  return String(i).padStart(10, " ") + FILLER.slice(10, 20);
}

/**
 * Sends `count` entries of about `size` bytes of MESSAGE quickly (one iovec reused).
 *
 * @param count How many.
 * @param size MESSAGE length in bytes (at least 16).
 * @param identifier SYSLOG_IDENTIFIER.
 */
export function sendMany(count: number, size: number, identifier: string): void {
  const lib = libsystemd();
  const ident = enc.encode(`SYSLOG_IDENTIFIER=${identifier}`);
  const prio = enc.encode("PRIORITY=6");
  const msgLength = 8 + Math.max(16, size);
  // One arena of at least 4 KiB (see sendEntry): message, identifier, priority.
  const arena = new Uint8Array(Math.max(4096, msgLength + ident.length + prio.length));
  const msg = arena.subarray(0, msgLength);
  msg.set(enc.encode("MESSAGE="));
  const filler = enc.encode(FILLER);
  for (let i = 8; i < msg.length; i++) msg[i] = filler[(i - 8) % filler.length]!;
  arena.set(ident, msgLength);
  arena.set(prio, msgLength + ident.length);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(arena)));
  const iov = new BigUint64Array(6);
  iov[0] = base;
  iov[1] = BigInt(msgLength);
  iov[2] = base + BigInt(msgLength);
  iov[3] = BigInt(ident.length);
  iov[4] = base + BigInt(msgLength + ident.length);
  iov[5] = BigInt(prio.length);
  for (let i = 0; i < count; i++) {
    // A sequence number at the start of the message, space-padded to 10 digits.
    const s = String(i).padStart(10, " ");
    for (let k = 0; k < 10; k++) msg[8 + k] = s.charCodeAt(k);
    check(lib.sd_journal_sendv(iov, 3), "Cannot send a journal entry");
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: "string" },
      size: { type: "string", default: "100" },
      identifier: { type: "string", default: "csd-bench" },
    },
  });
  const count = Number(values.count);
  const size = Number(values.size);
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(size) || size < 0) {
    console.error(
      "usage: journal_writer.ts --count N [--size BYTES] [--identifier ID]\n" +
        "environment: CSD_LIBSYSTEMD (path of libsystemd.so.0)",
    );
    Deno.exit(1);
  }
  const t0 = performance.now();
  sendMany(count, size, values.identifier);
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ written: count, seconds: s, perSecond: Math.round(count / s) }));
}

if (import.meta.main) main();
