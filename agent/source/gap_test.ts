import assert from "node:assert/strict";
import {
  cursorPosition,
  formatGap,
  formatUnreadable,
  gapBetween,
  GapDetector,
  gapWithin,
  isoMicros,
  type JournalPosition,
} from "./gap.ts";

const ID = "a58c377fa3de43d4947ae527fe3a5b85";
const OTHER = "0123456789abcdef0123456789abcdef";

function cursor(seqnum: number, usec = seqnum * 1000, id = ID): string {
  return `s=${id};i=${seqnum.toString(16)};b=bf11;m=29cc71df;t=${usec.toString(16)};x=9e0c`;
}

function pos(seqnum: number, id = ID): JournalPosition {
  return { seqnumId: id, seqnum, realtimeUsec: seqnum * 1000 };
}

Deno.test("cursorPosition() reads s=, i= and t= of a real cursor", () => {
  assert.deepEqual(
    cursorPosition(
      "s=a58c377fa3de43d4947ae527fe3a5b85;i=23;b=bf112108394546cca9518fd90f03978e;" +
        "m=29cf3ae1;t=6617801b11a43;x=7cb410e81c5e7adc",
    ),
    { seqnumId: ID, seqnum: 0x23, realtimeUsec: 0x6617801b11a43 },
  );
  assert.equal(cursorPosition("b=1;m=2"), undefined);
  assert.equal(cursorPosition(""), undefined);
});

Deno.test("gapBetween() counts the numbers skipped in one sequence", () => {
  assert.equal(gapBetween(pos(5), pos(6)), undefined);
  assert.deepEqual(gapBetween(pos(5), pos(9)), {
    lost: 3,
    exact: true,
    after: pos(5),
    before: pos(9),
  });
  // Never negative (e.g. an entry read twice after a seek).
  assert.equal(gapBetween(pos(5), pos(5)), undefined);
});

Deno.test("gapBetween() at the start of the journal: number 1 comes first", () => {
  assert.equal(gapBetween(undefined, pos(1)), undefined);
  assert.deepEqual(gapBetween(undefined, pos(40)), { lost: 39, exact: true, before: pos(40) });
});

Deno.test("gapBetween() across two sequences gives a lower bound", () => {
  assert.equal(gapBetween(pos(5), pos(1, OTHER)), undefined);
  assert.deepEqual(gapBetween(pos(5), pos(7, OTHER)), {
    lost: 6,
    exact: false,
    after: pos(5),
    before: pos(7, OTHER),
  });
});

Deno.test("gapWithin() compares a run's span with its count", () => {
  assert.equal(gapWithin(pos(10), pos(19), 10), undefined);
  assert.equal(gapWithin(pos(10), pos(29), 10)?.lost, 10);
  assert.equal(gapWithin(pos(10), pos(3, OTHER), 10), undefined);
});

Deno.test("GapDetector.check() finds gaps before and inside batches", () => {
  const g = new GapDetector({ fromStart: true });
  assert.deepEqual(g.check(cursor(1), cursor(100), 100), []);
  assert.deepEqual(g.check(cursor(101), cursor(200), 100), []);
  const [gap] = g.check(cursor(301), cursor(400), 100);
  assert.equal(gap?.lost, 100);
  assert.equal(gap?.after?.seqnum, 200);
  assert.equal(gap?.before.seqnum, 301);
  const inside = g.check(cursor(401), cursor(600), 150);
  assert.deepEqual(inside.map((x) => x.lost), [50]);
});

Deno.test("GapDetector.check() resumes after a saved cursor whose entry is gone", () => {
  const saved = cursorPosition(cursor(1000))!;
  const g = new GapDetector({ previous: saved });
  const gaps = g.check(cursor(22_501), cursor(23_000), 500);
  assert.deepEqual(gaps.map((x) => x.lost), [21_500]);
});

Deno.test("GapDetector.check() reports nothing before the first batch when unknown", () => {
  const g = new GapDetector({});
  assert.deepEqual(g.check(cursor(500), cursor(599), 100), []);
  assert.deepEqual(g.check(cursor(601), cursor(601), 1).map((x) => x.lost), [1]);
});

Deno.test("GapDetector.check() skips a batch whose first cursor is unreadable", () => {
  const g = new GapDetector({ fromStart: true });
  assert.deepEqual(g.check(null, cursor(50), 10), []);
  assert.deepEqual(g.check(cursor(51), cursor(60), 10), []);
  assert.deepEqual(g.check(cursor(71), cursor(71), 1).map((x) => x.lost), [10]);
});

Deno.test("formatGap() names the count and both times", () => {
  const line = formatGap({
    lost: 21_500,
    exact: true,
    after: { seqnumId: ID, seqnum: 1, realtimeUsec: 1_796_018_462_123_456 },
    before: { seqnumId: ID, seqnum: 21_502, realtimeUsec: 1_796_018_465_000_001 },
  });
  assert.match(
    line,
    /^journalagent: 21500 journal entries lost between 2026-\d\d-\d\dT\d\d:\d\d:02\.123456Z and 2026-\d\d-\d\dT\d\d:\d\d:05\.000001Z: journald removed them/,
  );
  assert.match(
    formatGap({ lost: 1, exact: false, before: pos(2) }),
    /^journalagent: at least 1 journal entry lost before 1970-01-01T00:00:00\.002000Z: /,
  );
});

Deno.test("formatUnreadable() counts in one line", () => {
  assert.equal(
    formatUnreadable(1),
    "journalagent: 1 journal entry could not be read and was skipped (a damaged or vanishing journal file)",
  );
  assert.match(formatUnreadable(3), /^journalagent: 3 journal entries could not be read and were /);
});

Deno.test("isoMicros() keeps microseconds", () => {
  assert.equal(isoMicros(1_500_001), "1970-01-01T00:00:01.500001Z");
});
