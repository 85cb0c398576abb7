import assert from "node:assert/strict";
import { healthTable, processCpuMs } from "./_bench_health.ts";

Deno.test("processCpuMs() sums utime, stime, cutime and cstime of /proc/PID/stat", () => {
  // A real dockerd line's shape; the command name has a space and a ')' in it.
  const stat = "2153 (docker d) x) S 1 2153 2153 0 -1 4194560 51803 1019 0 0 " +
    "1200 345 7 8 20 0 40 0 2461 2424520704 23418 18446744073709551615";
  assert.equal(processCpuMs(stat), (1200 + 345 + 7 + 8) * 10);
});

Deno.test("healthTable() gives the checks' share per container and per check", () => {
  const t = healthTable({
    tag: "12",
    containers: 4,
    seconds: 180,
    withCheck: { engineMs: 1320, containersMs: 2942, checks: 12 },
    without: { engineMs: 420, containersMs: 2587, checks: 0 },
  });
  assert.match(
    t,
    /\| the checks, per container, % of a core \| 0\.125 % \| 0\.049 % \| \*\*0\.174 %\*\* \|/,
  );
  assert.match(t, /CPU per check, all in: 105 ms\./);
  assert.match(t, /12 checks ended in it/);
});
