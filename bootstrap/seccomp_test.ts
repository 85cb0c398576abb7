import assert from "node:assert/strict";
import { PreflightError } from "./preflight.ts";
import { checkSeccomp } from "./seccomp.ts";

const WITH_SYS_ADMIN = { mountinfo: "", procCgroup: "", capEff: "00000000a82425fb" };

Deno.test("checkSeccomp() names the refused call and the profile flag", () => {
  checkSeccomp(WITH_SYS_ADMIN, []);
  assert.throws(
    () => checkSeccomp(WITH_SYS_ADMIN, [{ name: "mount", errno: 1 }]),
    (e: unknown) =>
      e instanceof PreflightError &&
      e.problem.startsWith("the seccomp profile refuses mount(2) (EPERM) although") &&
      e.fix.startsWith("drop --security-opt seccomp=PROFILE"),
  );
});

Deno.test("checkSeccomp() leaves the refusals without CAP_SYS_ADMIN to the other checks", () => {
  checkSeccomp({ ...WITH_SYS_ADMIN, capEff: "00000000a80425fb" }, [{ name: "mount", errno: 1 }]);
});
