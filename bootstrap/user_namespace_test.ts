import assert from "node:assert/strict";
import { PreflightError } from "./preflight.ts";
import { checkCgroupOwner, userNamespaceMap } from "./user_namespace.ts";

const HOST = "         0          0 4294967295\n";
const REMAPPED = "         0     100000      65536\n";

Deno.test("userNamespaceMap() is undefined in the host's namespace", () => {
  assert.equal(userNamespaceMap(HOST), undefined);
  assert.equal(userNamespaceMap(REMAPPED), "0 100000 65536");
});

Deno.test("checkCgroupOwner() refuses a cgroup not owned by the namespace's root", () => {
  checkCgroupOwner(HOST, 65534);
  checkCgroupOwner(REMAPPED, 0);
  assert.throws(
    () => checkCgroupOwner(REMAPPED, 65534),
    (e: unknown) =>
      e instanceof PreflightError &&
      e.problem.startsWith('the container runs in a user namespace (uid map "0 100000 65536")') &&
      e.fix.startsWith("run without --userns-remap"),
  );
});
