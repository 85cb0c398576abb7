import assert from "node:assert/strict";
import { testEntry } from "./_test_entry.ts";
import { formatLogfmt, isBareValue } from "./logfmt.ts";
import { OutputBuffer } from "./buffer.ts";

function logfmt(...args: Parameters<typeof testEntry>): string {
  const out = new OutputBuffer(16);
  formatLogfmt(testEntry(...args), out);
  return new TextDecoder().decode(out.bytes());
}

Deno.test("formatLogfmt() writes time, priority name, unit, identifier, pid, message", () => {
  assert.equal(
    logfmt([
      "PRIORITY=3",
      "_SYSTEMD_UNIT=nginx.service",
      "SYSLOG_IDENTIFIER=nginx",
      "_PID=12",
      "MESSAGE=GET / 200",
    ]),
    'time=2026-11-29T18:26:58.530487Z priority=err unit=nginx.service identifier=nginx pid=12 message="GET / 200"\n',
  );
});

Deno.test("formatLogfmt() leaves out absent keys; message is always there", () => {
  assert.equal(logfmt([]), 'time=2026-11-29T18:26:58.530487Z priority=info message=""\n');
  assert.equal(
    logfmt(["MESSAGE=ok"]),
    "time=2026-11-29T18:26:58.530487Z priority=info message=ok\n",
  );
});

Deno.test("formatLogfmt() quotes and escapes values that need it", () => {
  const line = logfmt([new Uint8Array([...new TextEncoder().encode('MESSAGE=a="b"\\\n\t'), 0xff])]);
  assert.equal(
    line,
    'time=2026-11-29T18:26:58.530487Z priority=info message="a=\\"b\\"\\\\\\n\\t\\xff"\n',
  );
});

Deno.test("formatLogfmt() appends extra fields that are present", () => {
  assert.equal(
    logfmt(["MESSAGE=m", "CONTAINER=web", "_HOSTNAME=h"], {
      extraNames: ["CONTAINER", "ABSENT", "_HOSTNAME"],
    }),
    "time=2026-11-29T18:26:58.530487Z priority=info message=m CONTAINER=web _HOSTNAME=h\n",
  );
});

Deno.test("isBareValue() accepts printable text without space, =, quote or backslash", () => {
  const bare = (s: string) => {
    const b = new TextEncoder().encode(s);
    return isBareValue(b, 0, b.length);
  };
  assert.equal(bare("nginx.service"), true);
  assert.equal(bare("héllo✓"), true);
  assert.equal(bare(""), false);
  assert.equal(bare("a b"), false);
  assert.equal(bare("a=b"), false);
  assert.equal(bare('a"'), false);
  assert.equal(bare("a\\b"), false);
  assert.equal(bare("a\x7f"), false);
});
