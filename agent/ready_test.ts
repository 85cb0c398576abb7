import assert from "node:assert/strict";
import { notifyReady } from "./ready.ts";

Deno.test("notifyReady() sends nothing and says so outside a service (no NOTIFY_SOCKET)", () => {
  assert.equal(notifyReady({}), false);
  assert.equal(notifyReady({ NOTIFY_SOCKET: "" }), false);
});
