import assert from "node:assert/strict";
import { containerVariable } from "./container_variable.ts";

Deno.test("containerVariable() sets docker or oci for systemd 247 only when unset", () => {
  assert.equal(containerVariable(247, {}, true), "docker");
  assert.equal(containerVariable(251, {}, false), "oci");
  assert.equal(containerVariable(247, { container: "podman" }, true), undefined);
  for (const v of [252, 257, 262]) assert.equal(containerVariable(v, {}, true), undefined);
});
