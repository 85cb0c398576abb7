import assert from "node:assert/strict";
import { OutputBuffer } from "./buffer.ts";

Deno.test("OutputBuffer grows and keeps what was appended", () => {
  const out = new OutputBuffer(64);
  const chunk = new Uint8Array(100).fill(7);
  for (let i = 0; i < 50; i++) out.append(chunk);
  assert.equal(out.length, 5000);
  assert.ok(out.bytes().every((b) => b === 7));
  out.appendAscii("ok\n");
  assert.equal(new TextDecoder().decode(out.bytes().subarray(5000)), "ok\n");
});

Deno.test("OutputBuffer.reset() empties it and keeps a normal capacity", () => {
  const out = new OutputBuffer(64);
  out.append(new Uint8Array(1000));
  out.reset();
  assert.equal(out.length, 0);
  assert.equal(out.bytes().length, 0);
});

Deno.test("OutputBuffer.reset() gives back memory after a huge entry", () => {
  const out = new OutputBuffer(65_536);
  out.append(new Uint8Array(20 << 20));
  out.reset();
  assert.ok(out.buffer.length <= 4 << 20, `capacity ${out.buffer.length} kept`);
});

Deno.test("OutputBuffer.length rejects values outside the buffer", () => {
  const out = new OutputBuffer(64);
  assert.throws(() => (out.length = -1), RangeError);
  assert.throws(() => (out.length = out.buffer.length + 1), RangeError);
});
