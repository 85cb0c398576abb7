import assert from "node:assert/strict";
import { BootstrapConfigError, parseBootstrapConfig, parseUnitName } from "./config.ts";

Deno.test("parseUnitName() adds .service to a name without a unit type", () => {
  assert.equal(parseUnitName("app", "CSD_MAIN_UNIT"), "app.service");
  assert.equal(parseUnitName("web@8080.service", "CSD_MAIN_UNIT"), "web@8080.service");
  assert.equal(parseUnitName("batch.target", "CSD_MAIN_UNIT"), "batch.target");
});

Deno.test("parseUnitName() rejects paths, templates and empty stems", () => {
  for (const bad of ["a/b", "app@.service", "@x.service", ".service", "a b", "x".repeat(250)]) {
    assert.throws(() => parseUnitName(bad, "CSD_MAIN_UNIT"), BootstrapConfigError, bad);
  }
});

Deno.test("parseBootstrapConfig() takes flags over the environment", () => {
  const c = parseBootstrapConfig(
    { mainUnit: "flag", passEnvironment: false },
    { CSD_MAIN_UNIT: "env", CSD_PASS_ENVIRONMENT: "yes" },
  );
  assert.deepEqual(c, { mainUnit: "flag.service", passEnvironment: false });
});

Deno.test("parseBootstrapConfig() reads CSD_PASS_ENVIRONMENT as systemd booleans", () => {
  assert.equal(parseBootstrapConfig({}, { CSD_PASS_ENVIRONMENT: "off" }).passEnvironment, false);
  assert.equal(parseBootstrapConfig({}, { CSD_PASS_ENVIRONMENT: "1" }).passEnvironment, true);
  assert.equal(parseBootstrapConfig({}, {}).passEnvironment, true);
  assert.throws(
    () => parseBootstrapConfig({}, { CSD_PASS_ENVIRONMENT: "maybe" }),
    {
      name: "BootstrapConfigError",
      message:
        'invalid CSD_PASS_ENVIRONMENT "maybe": use -e CSD_PASS_ENVIRONMENT=yes or -e CSD_PASS_ENVIRONMENT=no',
    },
  );
});

Deno.test("parseBootstrapConfig() takes CSD_HEALTH_HOLD in whole seconds and names a bad one", () => {
  assert.equal(parseBootstrapConfig({}, { CSD_HEALTH_HOLD: "0" }).healthHold, 0);
  assert.equal(parseBootstrapConfig({}, { CSD_HEALTH_HOLD: "89" }).healthHold, 89);
  assert.equal(parseBootstrapConfig({}, {}).healthHold, undefined);
  for (const bad of ["abc", "", "1.5", "-1", " 59", "86401"]) {
    assert.throws(
      () => parseBootstrapConfig({}, { CSD_HEALTH_HOLD: bad }),
      (e: Error) =>
        e instanceof BootstrapConfigError &&
        e.message === `invalid CSD_HEALTH_HOLD ${JSON.stringify(bad)}: give whole seconds ` +
            "from 0 to 86400, e.g. -e CSD_HEALTH_HOLD=59 (with 75 or more also raise " +
            "--health-timeout above it)",
      bad,
    );
  }
});
