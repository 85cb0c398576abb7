import assert from "node:assert/strict";
import { testEntry } from "./_test_entry.ts";
import { formatJson } from "./json.ts";
import { OutputBuffer } from "./buffer.ts";

function json(...args: Parameters<typeof testEntry>): string {
  const out = new OutputBuffer(16);
  formatJson(testEntry(...args), out);
  return new TextDecoder().decode(out.bytes());
}

Deno.test("formatJson() writes the header keys, then the fields in stored order", () => {
  const line = json(["PRIORITY=6", "MESSAGE=hello", "_PID=1"]);
  assert.equal(
    line,
    '{"__CURSOR":"s=1;i=2;b=3;m=4;t=5;x=6","__REALTIME_TIMESTAMP":"1795976818530487",' +
      '"__MONOTONIC_TIMESTAMP":"735723577","_BOOT_ID":"116e088bfcd144f9a1aaa797fd31603a",' +
      '"PRIORITY":"6","MESSAGE":"hello","_PID":"1"}\n',
  );
});

Deno.test("formatJson() adds __SEQNUM and __SEQNUM_ID when libsystemd has them", () => {
  const o = JSON.parse(json(["MESSAGE=x"], { seqnum: 4711, seqnumId: "ab".repeat(16) }));
  assert.equal(o.__SEQNUM, "4711");
  assert.equal(o.__SEQNUM_ID, "ab".repeat(16));
});

Deno.test("formatJson() skips the stored _BOOT_ID field, as journalctl", () => {
  const line = json(["_BOOT_ID=00000000000000000000000000000000", "MESSAGE=x"]);
  assert.equal(line.match(/_BOOT_ID/g)?.length, 1);
  assert.equal(JSON.parse(line)._BOOT_ID, "116e088bfcd144f9a1aaa797fd31603a");
});

Deno.test("formatJson() makes an array of a repeated field, at its first position", () => {
  const line = json([
    "A=1",
    "R=a",
    "MESSAGE=m",
    "R=b",
    new Uint8Array([82, 61, 0, 1]),
    "B=2",
  ]);
  assert.ok(line.endsWith('"A":"1","R":["a","b",[0,1]],"MESSAGE":"m","B":"2"}\n'), line);
});

Deno.test("formatJson() writes binary values as byte arrays and huge ones whole", () => {
  const big = "x".repeat(1_000_000);
  const o = JSON.parse(json([new Uint8Array([66, 61, 255, 10]), `MESSAGE=${big}`]));
  assert.deepEqual(o.B, [255, 10]);
  assert.equal(o.MESSAGE, big);
});

Deno.test("formatJson() keeps a value with = inside", () => {
  assert.equal(JSON.parse(json(["KEY=a=b"])).KEY, "a=b");
});

Deno.test("formatJson() writes an entry with 1,000 distinct fields (more than its first table holds)", () => {
  const fields = ["MESSAGE=many", "REPEATED=a"];
  for (let i = 0; i < 1000; i++) fields.push(`F${String(i).padStart(4, "0")}=value ${i}`);
  fields.push("REPEATED=b");
  const o = JSON.parse(json(fields));
  assert.equal(o.F0999, "value 999");
  assert.deepEqual(o.REPEATED, ["a", "b"]);
  assert.equal(Object.keys(o).length, 4 + 2 + 1000);
});
