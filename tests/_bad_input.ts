/**
 * The bad-input corpus of tests/bad_input_test.ts: entries with binary fields, NUL
 * bytes, invalid UTF-8, terminal control sequences, CR/LF, 1 MB and 16 MB messages and
 * thousands of fields. Bundled and run inside a test container with the image's Deno
 * (`bad.js write TAG`) to send them over the native protocol; imported by the test to
 * know what was sent.
 *
 * Every entry has SYSLOG_IDENTIFIER=csd-bad (except `long-identifier`), BAD_TAG=TAG,
 * BAD_CASE=its name, and a MESSAGE that starts with `bad:TAG:NAME `.
 *
 * @module
 */
import { sendEntry } from "../scripts/journal_writer.ts";

const enc = new TextEncoder();

/** Concatenates text and bytes. */
export function bytes(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === "string" ? enc.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function letters(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 97 + (i % 26);
  return b;
}

/** One entry of the corpus. */
export interface BadCase {
  /** Its name (BAD_CASE). */
  name: string;
  /** MESSAGE's value (after `MESSAGE=`). */
  message: Uint8Array;
  /** Other fields, each `NAME=value` as bytes. */
  fields: Uint8Array[];
}

/** The number of fields of the `many-fields` case (journald keeps at most 1024 a entry on newer versions). */
export const MANY_FIELDS = 3000;

/**
 * The corpus for one tag.
 *
 * @param tag Marks this run's entries.
 */
export function badCorpus(tag: string): BadCase[] {
  const c = (
    name: string,
    message: (string | number[] | Uint8Array)[],
    fields: Uint8Array[] = [],
  ) => ({
    name,
    message: bytes(`bad:${tag}:${name} `, ...message),
    fields,
  });
  const fieldsN = (n: number) =>
    Array.from({ length: n }, (_, i) => bytes(`F${String(i).padStart(4, "0")}=value ${i}`));
  return [
    c("binary-field", ["binary field"], [
      bytes("BINARY=", Array.from({ length: 256 }, (_, i) => i)),
    ]),
    c("nul", ["nul", [0], "inside"]),
    c("invalid-utf8", [
      "bad ",
      [0xff, 0xfe],
      " pair ",
      [0xc3, 0x28],
      " overlong ",
      [0xc0, 0xaf],
      " surrogate ",
      [0xed, 0xa0, 0x80],
      " cut ",
      [0xe2, 0x9c],
    ]),
    c("ansi-csi", ["\x1b[31mred\x1b[0m \x1b[2J\x1b[H cleared"]),
    c("osc", ["\x1b]0;pwned title\x07 \x1b]52;c;Y2xpcGJvYXJk\x07 clipboard"]),
    c("c1-controls", ["c1 csi ", [0xc2, 0x9b], "31m nel ", [0xc2, 0x85], " end"]),
    c("c0-controls", ["bell\x07 bs\x08 vt\x0b ff\x0c esc\x1b del\x7f end"]),
    c("cr-lf", ["dos\r\nline\rcarriage\nnewline\n\nend"]),
    c("one-megabyte", [letters(1_000_000)]),
    c("sixteen-megabytes", [letters(16 * 1024 * 1024)]),
    c("thousand-fields", ["1000 fields"], fieldsN(1000)),
    c("many-fields", [`${MANY_FIELDS} fields`], fieldsN(MANY_FIELDS)),
    c("long-identifier", ["identifier of 4096 bytes"]),
    c("end", ["end"]),
  ];
}

/**
 * Sends one entry as a single datagram of journald's native protocol
 * (systemd.journal-native(7)): `NAME=value` lines, or `NAME`, a newline, a 64-bit
 * little-endian length and the value for values with a newline. sd_journal_sendv(3)
 * cannot send more than about 200 fields (it hands writev(2) five iovecs a field, over
 * IOV_MAX), hence this for the entries with thousands of fields.
 *
 * @param fields `NAME=value` each.
 * @throws {Error} If the datagram cannot be sent.
 */
export function sendDatagram(fields: Uint8Array[]): void {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    const eq = f.indexOf(0x3d);
    const value = f.subarray(eq + 1);
    if (!value.includes(10)) {
      parts.push(f, bytes("\n"));
      continue;
    }
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(value.length), true);
    parts.push(f.subarray(0, eq), bytes("\n"), len, value, bytes("\n"));
  }
  const data = bytes(...parts);
  const libc = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" }, // int domain, type, protocol
    // int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t
    sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" }, // int fd
  });
  try {
    const fd = libc.symbols.socket(1, 2, 0); // AF_UNIX, SOCK_DGRAM
    if (fd < 0) throw new Error("Cannot create a unix datagram socket");
    const path = bytes("/run/systemd/journal/socket");
    const addr = new Uint8Array(110); // struct sockaddr_un
    new DataView(addr.buffer).setUint16(0, 1, true); // sun_family = AF_UNIX
    addr.set(path, 2);
    const n = libc.symbols.sendto(fd, data, BigInt(data.length), 0, addr, 2 + path.length + 1);
    libc.symbols.close(fd);
    if (Number(n) !== data.length) throw new Error(`Cannot send ${data.length} bytes to journald`);
  } finally {
    libc.close();
  }
}

/** The SYSLOG_IDENTIFIER of the `long-identifier` case. */
export const LONG_IDENTIFIER = "i".repeat(4096);

/**
 * Sends the corpus (sd_journal_sendv(3)).
 *
 * @param tag Marks this run's entries.
 */
export function sendBadCorpus(tag: string): void {
  for (const k of badCorpus(tag)) {
    const ident = k.name === "long-identifier" ? LONG_IDENTIFIER : "csd-bad";
    const fields = [
      bytes("MESSAGE=", k.message),
      bytes(`SYSLOG_IDENTIFIER=${ident}`),
      bytes(`BAD_TAG=${tag}`),
      bytes(`BAD_CASE=${k.name}`),
      ...k.fields,
    ];
    if (k.fields.length > 100) sendDatagram(fields);
    else sendEntry(fields);
  }
}

if (import.meta.main) {
  const [mode, tag] = Deno.args;
  if (mode !== "write" || !tag) {
    console.error("usage: bad.js write TAG");
    Deno.exit(1);
  }
  sendBadCorpus(tag);
}
