import assert from "node:assert/strict";
import { printableUtf8Length, utf8Length } from "./utf8.ts";
import {
  writeByteArray,
  writeDecimal,
  writeJsonStringLossy,
  writeJsonValue,
  writeTextEscaped,
} from "./escape.ts";
import { OutputBuffer } from "./buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function run(
  fn: (out: OutputBuffer, d: Uint8Array, s: number, e: number) => void,
  input: string | number[],
): string {
  const d = typeof input === "string" ? enc.encode(input) : Uint8Array.from(input);
  const out = new OutputBuffer(64);
  fn(out, d, 0, d.length);
  return dec.decode(out.bytes());
}

Deno.test("writeJsonValue() writes printable UTF-8 as a string with journalctl's escapes", () => {
  assert.equal(run(writeJsonValue, 'a "b" \\ c\td\ne ✓ 😀'), '"a \\"b\\" \\\\ c\\td\\ne ✓ 😀"');
  assert.equal(run(writeJsonValue, ""), '""');
});

Deno.test("writeJsonValue() writes a byte array for control characters, as journalctl", () => {
  // utf8_is_printable() allows only tab and newline among the controls.
  assert.equal(run(writeJsonValue, "a\rb"), "[97,13,98]");
  assert.equal(run(writeJsonValue, "\x1b[0m"), "[27,91,48,109]");
  assert.equal(run(writeJsonValue, [104, 0, 105]), "[104,0,105]");
  assert.equal(run(writeJsonValue, [0x7f]), "[127]");
  assert.equal(run(writeJsonValue, [0xc2, 0x85]), "[194,133]"); // C1 NEL
});

Deno.test("writeJsonValue() writes a byte array for invalid UTF-8 and noncharacters", () => {
  assert.equal(run(writeJsonValue, [0x61, 0xff]), "[97,255]");
  assert.equal(run(writeJsonValue, [0xc0, 0xaf]), "[192,175]"); // overlong
  assert.equal(run(writeJsonValue, [0xed, 0xa0, 0x80]), "[237,160,128]"); // surrogate
  assert.equal(run(writeJsonValue, [0xef, 0xbf, 0xbe]), "[239,191,190]"); // U+FFFE
  assert.equal(run(writeJsonValue, [0xef, 0xb7, 0x90]), "[239,183,144]"); // U+FDD0
  assert.equal(run(writeJsonValue, [0xf0, 0x9f, 0xbf, 0xbf]), "[240,159,191,191]"); // U+1FFFF
  assert.equal(run(writeJsonValue, [0xf4, 0x90, 0x80, 0x80]), "[244,144,128,128]"); // > U+10FFFF
  assert.equal(run(writeJsonValue, [0xe2, 0x9c]), "[226,156]"); // truncated
  // U+2028 and U+00A0 are printable for systemd
  assert.equal(run(writeJsonValue, "\u2028\u00a0"), '"\u2028\u00a0"');
});

Deno.test("writeByteArray() writes every byte value", () => {
  const all = Array.from({ length: 256 }, (_, i) => i);
  assert.equal(run(writeByteArray, all), `[${all.join(",")}]`);
});

Deno.test("writeTextEscaped() keeps one line: newline, CR, controls and bad bytes escaped", () => {
  assert.equal(run(writeTextEscaped, "a\nb\r\nc"), "a\\nb\\r\\nc");
  assert.equal(run(writeTextEscaped, "\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  assert.equal(run(writeTextEscaped, [0x6e, 0, 0x7f, 0xff, 0xc3, 0x28]), "n\\x00\\x7f\\xff\\xc3(");
  assert.equal(run(writeTextEscaped, [0xc2, 0x85]), "\\xc2\\x85");
  assert.equal(run(writeTextEscaped, 'tab\tquote" back\\slash ✓'), 'tab\tquote" back\\slash ✓');
});

Deno.test("writeTextEscaped() with quoted also escapes quote, backslash and tab", () => {
  const out = new OutputBuffer(8);
  const d = enc.encode('a"b\\c\td');
  writeTextEscaped(out, d, 0, d.length, true);
  assert.equal(dec.decode(out.bytes()), 'a\\"b\\\\c\\td');
});

Deno.test("writeJsonStringLossy() always writes a JSON string", () => {
  const cases: [number[] | string, string][] = [
    ["plain ✓", "plain ✓"],
    ["a\nb\r\t\x1b\x00", "a\nb\r\t\x1b\x00"],
    [[0x61, 0xff, 0xfe, 0x62], "a\ufffd\ufffdb"],
    [[0xc2, 0x85, 0x7f], "\u0085\u007f"],
    [[0xef, 0xbf, 0xbe], "\ufffe"],
    [[0xed, 0xa0, 0x80], "\ufffd\ufffd\ufffd"],
    ['q"\\', 'q"\\'],
  ];
  for (const [input, want] of cases) {
    const json = run(writeJsonStringLossy, input);
    assert.equal(JSON.parse(json), want, json);
    const raw = [...json].find((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
    assert.equal(raw, undefined, `raw control character in ${json}`);
  }
});

Deno.test("utf8Length() and printableUtf8Length() follow RFC 3629 and systemd", () => {
  const len = (f: typeof utf8Length, b: number[]) => f(Uint8Array.from(b), 0, b.length);
  assert.equal(len(utf8Length, [0xc3, 0xa9]), 2);
  assert.equal(len(utf8Length, [0xc1, 0xbf]), 0);
  assert.equal(len(utf8Length, [0xe0, 0x9f, 0xbf]), 0); // overlong
  assert.equal(len(utf8Length, [0xef, 0xbf, 0xbe]), 3);
  assert.equal(len(printableUtf8Length, [0xef, 0xbf, 0xbe]), 0);
  assert.equal(len(printableUtf8Length, [0xef, 0xbf, 0xbd]), 3); // U+FFFD itself
  assert.equal(len(printableUtf8Length, [0xc2, 0xa0]), 2);
  assert.equal(len(printableUtf8Length, [0xc2, 0x9f]), 0);
  assert.equal(len(printableUtf8Length, [0xf0, 0x9f, 0x98, 0x80]), 4);
  assert.equal(len(printableUtf8Length, [0xf8, 0x88, 0x80, 0x80, 0x80]), 0);
});

Deno.test("writeDecimal() writes integers up to 2^53", () => {
  for (const n of [0, 7, 255, 256, 1000, 1795976818530487, 2 ** 53]) {
    const out = new OutputBuffer(8);
    writeDecimal(out, n);
    assert.equal(dec.decode(out.bytes()), String(n));
  }
});
