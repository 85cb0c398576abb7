/**
 * Runs inside a test container (bundled by tests/agent_formats_test.ts, run with the
 * image's Deno): writes the odd entries the formats test checks, and reads them back
 * with the agent's EntryReader.
 *
 * Usage:
 *   probe.js cursor             prints the cursor of the journal's last entry
 *   probe.js write TAG          writes the odd entries, the last one "csd-formats-end TAG"
 *   probe.js read FORMAT CURSOR [EXTRA...]
 *                               prints every entry after CURSOR in FORMAT, routed to
 *                               stdout or stderr; EXTRA are extra fields
 *
 * Environment: CSD_PROBE_OPTIONS, JSON of further ReaderOptions (units, excludeUnits,
 * maxPriority, stderrPriority); CSD_PROBE_CURSOR_FILE, where `read` writes the cursor
 * that the last fill() with entries returned.
 *
 * @module
 */
import { Journal } from "../agent/source/journal.ts";
import { OutputBuffer } from "../agent/format/buffer.ts";
import { entryFormat } from "../agent/format/formats.ts";
import type { OutputFormat } from "../agent/format/names.ts";
import { EntryReader } from "../agent/source/reader.ts";
import { sendEntry } from "../scripts/journal_writer.ts";
import { bytes as field } from "./_bad_input.ts";

/** The odd entries: name, then fields (SYSLOG_IDENTIFIER and ODD_CASE are added). */
export function oddEntries(tag: string): [string, (string | Uint8Array)[]][] {
  const mb = new Uint8Array(1_000_000);
  for (let i = 0; i < mb.length; i++) mb[i] = 97 + (i % 26);
  const mbBad = mb.slice();
  mbBad[500_000] = 0xff;
  const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  return [
    ["plain", ["MESSAGE=hello world", "PRIORITY=6"]],
    ["newlines", ["MESSAGE=line one\nline two\n\nline four", "PRIORITY=5"]],
    ["crlf", ["MESSAGE=dos line\r\nnext line", "PRIORITY=4"]],
    ["ansi", ["MESSAGE=\x1b[31mred\x1b[0m text", "PRIORITY=3"]],
    ["tab-quotes", ['MESSAGE=tab\there "quoted" back\\slash key=value', "PRIORITY=6"]],
    ["invalid-utf8", [
      field("MESSAGE=bad ", [0xff, 0xfe], " utf8 ", [0xc3, 0x28], " overlong ", [0xc0, 0xaf]),
    ]],
    ["nul", [field("MESSAGE=nul", [0], "inside")]],
    ["binary-field", ["MESSAGE=with a binary field", field("BINARY=", allBytes)]],
    ["one-megabyte", [field("MESSAGE=", mb)]],
    ["one-megabyte-invalid", [field("MESSAGE=", mbBad)]],
    ["repeated", [
      "MESSAGE=repeated fields",
      "REPEATED=a",
      "REPEATED=b",
      field("REPEATED=", [1, 2]),
    ]],
    ["unicode", ["MESSAGE=héllo wörld ✓ 😀 \u2028 end"]],
    ["c1-control", [field("MESSAGE=c1 ", [0xc2, 0x85], " nel")]],
    ["noncharacter", [field("MESSAGE=nonchar ", [0xef, 0xbf, 0xbe], " end")]],
    ["surrogate", [field("MESSAGE=surrogate ", [0xed, 0xa0, 0x80], " end")]],
    ["del", [field("MESSAGE=del", [0x7f], "end")]],
    ["empty", ["MESSAGE="]],
    ["no-message", ["OTHER=only this"]],
    ["trailing-newline", ["MESSAGE=trailing\n"]],
    ["equals", ["MESSAGE=a=b c", "KEY=x=y"]],
    ["no-identifier", ["MESSAGE=no identifier here"]],
    ["end", [`MESSAGE=csd-formats-end ${tag}`]],
  ];
}

function main(): void {
  const [mode, ...args] = Deno.args;
  if (mode === "cursor") {
    using j = Journal.open();
    j.seekTail();
    console.log(j.previous() ? j.cursor() : "");
    return;
  }
  if (mode === "write") {
    const tag = args[0] ?? "tag";
    for (const [name, fields] of oddEntries(tag)) {
      const ident = name === "no-identifier" ? [] : ["SYSLOG_IDENTIFIER=csd-odd"];
      sendEntry([...fields, ...ident, `ODD_CASE=${name}`, `ODD_TAG=${tag}`]);
    }
    return;
  }
  if (mode === "read") {
    const [format, cursor, ...extra] = args;
    using j = Journal.open();
    if (cursor) {
      j.seekCursor(cursor);
      if (j.next() && !j.testCursor(cursor)) j.previous();
    } else j.seekHead();
    const reader = new EntryReader(j, {
      ...JSON.parse(Deno.env.get("CSD_PROBE_OPTIONS") ?? "{}"),
      format: entryFormat(format as OutputFormat),
      extraFields: extra,
    });
    const out = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    let last: string | null = null;
    for (;;) {
      const r = reader.fill(out, 1 << 20);
      if (r.entries > 0) last = r.cursor;
      for (const [buf, file] of [[out.stdout, Deno.stdout], [out.stderr, Deno.stderr]] as const) {
        let b = buf.bytes();
        while (b.length > 0) b = b.subarray(file.writeSync(b));
        buf.reset();
      }
      if (r.entries === 0) break;
    }
    // The cursor fill() returned last, for the test to compare with the last entry's.
    if (Deno.env.get("CSD_PROBE_CURSOR_FILE")) {
      Deno.writeTextFileSync(Deno.env.get("CSD_PROBE_CURSOR_FILE")!, last ?? "");
    }
    return;
  }
  console.error("usage: probe cursor | probe write TAG | probe read FORMAT CURSOR [EXTRA...]");
  Deno.exit(1);
}

if (import.meta.main) main();
