import assert from "node:assert/strict";
import { testEntry } from "../format/_test_entry.ts";
import { EntryFields } from "./entry.ts";
import { Known } from "./known_fields.ts";

Deno.test("EntryFields locates well-known fields, the last of repeated ones", () => {
  const e = testEntry(["MESSAGE=a", "_PID=12", "MESSAGE=b", "PRIORITY=3"]);
  assert.equal(e.count, 4);
  assert.equal(e.knownText(Known.MESSAGE), "b");
  assert.equal(e.knownNumber(Known._PID), 12);
  assert.equal(e.priority(), 3);
  assert.equal(e.knownText(Known._HOSTNAME), undefined);
});

Deno.test("EntryFields.priority() is 6 when PRIORITY is missing or invalid", () => {
  assert.equal(testEntry([]).priority(), 6);
  assert.equal(testEntry(["PRIORITY=8"]).priority(), 6);
  assert.equal(testEntry(["PRIORITY=12"]).priority(), 6);
  assert.equal(testEntry(["PRIORITY="]).priority(), 6);
  assert.equal(testEntry(["PRIORITY=0"]).priority(), 0);
});

Deno.test("EntryFields.knownNumber() is -1 unless the value is all digits", () => {
  assert.equal(testEntry(["_PID=1x"]).knownNumber(Known._PID), -1);
  assert.equal(testEntry(["_PID="]).knownNumber(Known._PID), -1);
  assert.equal(testEntry([]).knownNumber(Known._PID), -1);
});

Deno.test("EntryFields drops data without =, grows past 64 fields and a small buffer", () => {
  const fields = Array.from({ length: 200 }, (_, i) => `F${i}=${"v".repeat(i)}`);
  const e = testEntry(["garbage", ...fields, "MESSAGE=end"]);
  assert.equal(e.count, 201);
  assert.equal(e.knownText(Known.MESSAGE), "end");
  const last = e.count - 2;
  assert.equal(
    new TextDecoder().decode(e.data.subarray(e.starts[last]!, e.ends[last]!)),
    `F199=${"v".repeat(199)}`,
  );
});

Deno.test("EntryFields.extraIndex() finds extra fields, well-known ones too", () => {
  const e = new EntryFields(256);
  e.setExtraNames(["A", "_HOSTNAME"]);
  e.clear();
  e.push("A=1");
  e.push("_HOSTNAME=h");
  assert.equal(e.extraIndex(0), 0);
  assert.equal(e.extraIndex(1), 1);
  e.clear();
  assert.equal(e.extraIndex(0), -1);
  assert.equal(e.extraIndex(1), -1);
});

Deno.test("EntryFields.clear() gives back memory after a huge entry", () => {
  const e = new EntryFields(1024);
  e.push(`MESSAGE=${"x".repeat(10 << 20)}`);
  e.clear();
  assert.equal(e.data.length, 1024);
});
