import assert from "node:assert/strict";
import { testEntry } from "./_test_entry.ts";
import { formatCollector } from "./collector.ts";
import { OutputBuffer } from "./buffer.ts";

function collector(...args: Parameters<typeof testEntry>): string {
  const out = new OutputBuffer(16);
  formatCollector(testEntry(...args), out);
  return new TextDecoder().decode(out.bytes());
}

Deno.test("formatCollector() writes the compact schema", () => {
  assert.equal(
    collector([
      "PRIORITY=4",
      "_SYSTEMD_UNIT=app.service",
      "_COMM=app",
      "SYSLOG_PID=9",
      'MESSAGE=disk "full"',
    ]),
    '{"time":"2026-11-29T18:26:58.530487Z","unit":"app.service","identifier":"app","pid":9,' +
      '"priority":4,"message":"disk \\"full\\""}\n',
  );
});

Deno.test("formatCollector() leaves out absent keys; priority defaults to 6", () => {
  assert.equal(
    collector(["PRIORITY=x"]),
    '{"time":"2026-11-29T18:26:58.530487Z","priority":6,"message":""}\n',
  );
});

Deno.test("formatCollector() keeps one line and valid JSON for odd messages", () => {
  const enc = new TextEncoder();
  const line = collector([new Uint8Array([...enc.encode("MESSAGE=a\nb\x1b"), 0, 0xff])]);
  assert.equal(line.split("\n").length, 2);
  assert.equal(JSON.parse(line).message, "a\nb\x1b\x00\ufffd");
});

Deno.test("formatCollector() appends extra fields by their journal names", () => {
  const o = JSON.parse(
    collector(["MESSAGE=m", "X=1", "X=2", "_HOSTNAME=h"], { extraNames: ["X", "_HOSTNAME", "NO"] }),
  );
  assert.equal(o.X, "2");
  assert.equal(o._HOSTNAME, "h");
  assert.equal("NO" in o, false);
});
