import assert from "node:assert/strict";
import { testEntry } from "./_test_entry.ts";
import type { EntryFields } from "../source/entry.ts";
import { formatCat, formatShortIso, formatShortPrecise } from "./short.ts";
import { OutputBuffer } from "./buffer.ts";

function text(
  fn: (e: EntryFields, out: OutputBuffer) => boolean,
  ...args: Parameters<typeof testEntry>
): string | null {
  const out = new OutputBuffer(16);
  return fn(testEntry(...args), out) ? new TextDecoder().decode(out.bytes()) : null;
}

const BASE = ["_HOSTNAME=host", "SYSLOG_IDENTIFIER=app", "_COMM=app-bin", "_PID=42"];

Deno.test("formatShortIso() writes journalctl's short-iso line in UTC", () => {
  assert.equal(
    text(formatShortIso, [...BASE, "MESSAGE=hello"]),
    "2026-11-29T18:26:58+00:00 host app[42]: hello\n",
  );
});

Deno.test("formatShortPrecise() writes journalctl's short-precise line", () => {
  assert.equal(
    text(formatShortPrecise, [...BASE, "MESSAGE=hello"]),
    "Nov 29 18:26:58.530487 host app[42]: hello\n",
  );
  assert.equal(
    text(formatShortPrecise, ["MESSAGE=m"], { realtime: Date.UTC(2024, 0, 5, 1, 2, 3) * 1000 + 7 }),
    "Jan 05 01:02:03.000007 unknown: m\n",
  );
});

Deno.test("formatShortIso() prefers _SOURCE_REALTIME_TIMESTAMP, as journalctl", () => {
  const src = Date.UTC(2020, 1, 29, 23, 59, 59) * 1000 + 999_999;
  assert.equal(
    text(formatShortIso, [`_SOURCE_REALTIME_TIMESTAMP=${src}`, "MESSAGE=m"]),
    "2020-02-29T23:59:59+00:00 unknown: m\n",
  );
  assert.equal(
    text(formatShortIso, ["_SOURCE_REALTIME_TIMESTAMP=bogus", "MESSAGE=m"]),
    "2026-11-29T18:26:58+00:00 unknown: m\n",
  );
});

Deno.test("formatShortIso() falls back to _COMM, then unknown; SYSLOG_PID when no _PID", () => {
  assert.equal(
    text(formatShortIso, ["_COMM=bin", "SYSLOG_PID=7", "MESSAGE=m"]),
    "2026-11-29T18:26:58+00:00 bin[7]: m\n",
  );
  assert.equal(text(formatShortIso, ["MESSAGE=m"]), "2026-11-29T18:26:58+00:00 unknown: m\n");
});

Deno.test("formatShortIso() uses a repeated field's last value, as journalctl", () => {
  assert.equal(
    text(formatShortIso, ["SYSLOG_IDENTIFIER=a", "SYSLOG_IDENTIFIER=b", "MESSAGE=m"]),
    "2026-11-29T18:26:58+00:00 b: m\n",
  );
});

Deno.test("formatShortIso() keeps multi-line and binary messages on one line", () => {
  assert.equal(
    text(formatShortIso, [
      ...BASE,
      new Uint8Array([...new TextEncoder().encode("MESSAGE=a\nb\r"), 0, 0xff]),
    ]),
    "2026-11-29T18:26:58+00:00 host app[42]: a\\nb\\r\\x00\\xff\n",
  );
  assert.equal(
    text(formatShortIso, ["_HOSTNAME=h\nx", "SYSLOG_IDENTIFIER=i\x1b", "MESSAGE=m"]),
    "2026-11-29T18:26:58+00:00 h\\nx i\\x1b: m\n",
  );
});

Deno.test("formatShortIso() and formatCat() skip entries without MESSAGE", () => {
  assert.equal(text(formatShortIso, BASE), null);
  assert.equal(text(formatShortPrecise, BASE), null);
  assert.equal(text(formatCat, BASE), null);
});

Deno.test("formatCat() writes the message only, escaped", () => {
  assert.equal(text(formatCat, [...BASE, "MESSAGE=one\ntwo"]), "one\\ntwo\n");
  assert.equal(text(formatCat, ["MESSAGE="]), "\n");
});
