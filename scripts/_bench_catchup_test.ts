import assert from "node:assert/strict";
import { catchupRatio, catchupTable, dockerTimeMs } from "./_bench_catchup.ts";

Deno.test("dockerTimeMs() keeps microseconds of Docker's nanosecond timestamps", () => {
  const base = Date.parse("2026-11-30T23:59:59Z");
  assert.equal(dockerTimeMs("2026-11-30T23:59:59.123456789Z"), base + 123.456);
  assert.equal(dockerTimeMs("2026-11-30T23:59:59Z"), base);
  assert.equal(dockerTimeMs("2026-11-30T23:59:59.5+01:00"), base - 3_600_000 + 500);
  assert.throws(() => dockerTimeMs("yesterday"), /not a Docker timestamp: yesterday/);
});

Deno.test("catchupTable() shows medians, every run and the ratio of the medians", () => {
  const r = {
    tag: "12" as const,
    entries: 200_000,
    seen: [200_000, 200_000, 200_000],
    megabytes: 133.4,
    agentSeconds: [4.2, 3.9, 4.0],
    agentStartSeconds: [4.5, 4.4, 4.6],
    plainSeconds: [3.6, 3.8, 3.7],
  };
  assert.equal(catchupRatio(r), 4.0 / 3.7);
  assert.equal(
    catchupTable([r]).split("\n")[2],
    "| debian-12 | 200,000 | 200,000, 200,000, 200,000 | 133 | 4.00 (4.20, 3.90, 4.00) | " +
      "4.50 (4.50, 4.40, 4.60) | 3.70 (3.60, 3.80, 3.70) | 1.08 |",
  );
});
