import assert from "node:assert/strict";
import { testEachImage } from "./harness.ts";

testEachImage(
  "systemd boots to running and stops with SIGRTMIN+3",
  {},
  async (c) => {
    const pid1 = await c.exec(["cat", "/proc/1/comm"]);
    assert.equal(pid1.stdout.trim(), "systemd");
    const stop = await c.stop();
    assert.equal(stop.exitCode, 0, "exit code after docker stop");
    assert.ok(
      stop.ms < 2000,
      `docker stop took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`,
    );
  },
);
