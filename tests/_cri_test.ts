/** Unit tests of tests/_cri.ts's CRI log parsing (no containerd needed). */
import assert from "node:assert/strict";
import { joinCriLog, parseCriLog } from "./_cri.ts";

const LOG = [
  "2026-11-30T06:25:41.374927072Z stdout P abc",
  "2026-11-30T06:25:41.374927073Z stderr F an error",
  "2026-11-30T06:25:41.374927074Z stdout P def",
  "2026-11-30T06:25:41.374927075Z stdout F ghi",
  "2026-11-30T06:25:41.374927076Z stdout F ",
  "",
].join("\n");

Deno.test("parseCriLog() reads time, stream, tag and text of each record", () => {
  const records = parseCriLog(LOG);
  assert.equal(records.length, 5);
  assert.deepEqual(records[0], {
    time: "2026-11-30T06:25:41.374927072Z",
    stream: "stdout",
    tag: "P",
    text: "abc",
  });
  assert.equal(records[4]!.text, "", "an empty line is an F record with no text");
});

Deno.test("parseCriLog() rejects a line that is not a CRI record", () => {
  assert.throws(() => parseCriLog("2026-11-30T06:25:41Z stdout X text\n"), SyntaxError);
  assert.throws(() => parseCriLog("just text\n"), /CRI log line 1/);
});

Deno.test("joinCriLog() joins P records per stream up to the F record", () => {
  assert.deepEqual(joinCriLog(parseCriLog(LOG)), [
    { stream: "stderr", text: "an error", records: 1 },
    { stream: "stdout", text: "abcdefghi", records: 3 },
    { stream: "stdout", text: "", records: 1 },
  ]);
});
