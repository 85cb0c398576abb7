import assert from "node:assert/strict";
import { INTERCEPTOR_PATH, pid1Environment, systemdArguments } from "./main.ts";
import { VERSION } from "../version.ts";

Deno.test("systemdArguments() adds --show-status=no unless a status setting is given", () => {
  assert.deepEqual(systemdArguments([]), ["--show-status=no"]);
  assert.deepEqual(systemdArguments(["--log-level=debug"]), [
    "--show-status=no",
    "--log-level=debug",
  ]);
  assert.deepEqual(systemdArguments(["--show-status=yes"]), ["--show-status=yes"]);
  assert.deepEqual(systemdArguments(["systemd.show_status=1"]), ["systemd.show_status=1"]);
});

Deno.test("pid1Environment() adds the preload and markers, drops CSD_ input variables", () => {
  const env = pid1Environment(
    { APP: "1", HOSTNAME: "h", CSD_PASS_ENVIRONMENT: "yes" },
    { passEnvironment: true, mainUnit: "app.service" },
  );
  assert.deepEqual(env, {
    APP: "1",
    HOSTNAME: "h",
    LD_PRELOAD: INTERCEPTOR_PATH,
    CSD_BOOTSTRAP: VERSION,
    CSD_PASS_ENVIRONMENT_NAMES: "APP",
    CSD_MAIN_UNIT: "app.service",
  });
  const off = pid1Environment({ APP: "1" }, { passEnvironment: false });
  assert.equal(off.CSD_PASS_ENVIRONMENT_NAMES, undefined);
});

Deno.test("pid1Environment() drops SYSTEMD_STDOUT_FILENO and SYSTEMD_STDERR_FILENO given from outside", () => {
  const env = pid1Environment(
    { APP: "1", SYSTEMD_STDOUT_FILENO: "5", SYSTEMD_STDERR_FILENO: "6" },
    { passEnvironment: true },
  );
  assert.equal(env.SYSTEMD_STDOUT_FILENO, undefined);
  assert.equal(env.SYSTEMD_STDERR_FILENO, undefined);
  assert.equal(env.APP, "1");
});
