import assert from "node:assert/strict";
import { formatDoctorTable } from "./doctor.ts";
import { isHealthyState } from "./health.ts";

Deno.test("formatDoctorTable() aligns the columns under a header", () => {
  const text = formatDoctorTable([
    { check: "PID 1", status: "ok", detail: "systemd" },
    { check: "CAP_SYS_ADMIN", status: "info", detail: "no" },
  ]);
  assert.equal(
    text,
    "CHECK          STATUS  DETAIL\n" +
      "PID 1          ok      systemd\n" +
      "CAP_SYS_ADMIN  info    no\n",
  );
});

Deno.test("isHealthyState() accepts running, and degraded only when asked", () => {
  assert.equal(isHealthyState("running"), true);
  assert.equal(isHealthyState("degraded"), false);
  assert.equal(isHealthyState("degraded", true), true);
  assert.equal(isHealthyState("starting", true), false);
});
