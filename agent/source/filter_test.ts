import assert from "node:assert/strict";
import { testEntry } from "../format/_test_entry.ts";
import { mangleUnitName, parsePriority, UnitFilter } from "./filter.ts";

Deno.test("parsePriority() accepts names and numbers, as journalctl -p", () => {
  assert.equal(parsePriority("emerg"), 0);
  assert.equal(parsePriority("ERR"), 3);
  assert.equal(parsePriority("warning"), 4);
  assert.equal(parsePriority(" debug "), 7);
  assert.equal(parsePriority("5"), 5);
  assert.throws(() => parsePriority("8"), SyntaxError);
  assert.throws(() => parsePriority("fatal"), {
    name: "SyntaxError",
    message: /Invalid priority "fatal"/,
  });
  assert.throws(() => parsePriority(""), SyntaxError);
});

const accepts = (f: UnitFilter, fields: string[]) => f.accepts(testEntry(fields));

Deno.test("UnitFilter matches _SYSTEMD_UNIT against globs", () => {
  const f = new UnitFilter({ units: ["nginx.service", "app-*.service"] });
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=nginx.service"]), true);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=app-web.service"]), true);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=sshd.service"]), false);
  assert.equal(accepts(f, ["MESSAGE=no unit"]), false);
});

Deno.test("UnitFilter also matches PID 1's UNIT=, as journalctl -u", () => {
  const f = new UnitFilter({ units: ["nginx.service"] });
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=init.scope", "_PID=1", "UNIT=nginx.service"]), true);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=other.service", "_PID=7", "UNIT=nginx.service"]), false);
});

Deno.test("UnitFilter matches COREDUMP_UNIT of root's coredump entries and OBJECT_SYSTEMD_UNIT", () => {
  const f = new UnitFilter({ units: ["nginx.service"] });
  const core = ["MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_UNIT=nginx.service"];
  assert.equal(accepts(f, [...core, "_UID=0"]), true);
  assert.equal(accepts(f, [...core, "_UID=1000"]), false);
  assert.equal(accepts(f, ["COREDUMP_UNIT=nginx.service", "_UID=0"]), false);
  assert.equal(accepts(f, ["OBJECT_SYSTEMD_UNIT=nginx.service", "_UID=0"]), true);
});

Deno.test("UnitFilter excludes entries about an excluded unit, PID 1's included", () => {
  const f = new UnitFilter({ excludeUnits: ["noisy*.service"] });
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=noisy1.service"]), false);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=init.scope", "_PID=1", "UNIT=noisy2.service"]), false);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=quiet.service"]), true);
  assert.equal(accepts(f, ["MESSAGE=no unit"]), true);
});

Deno.test("UnitFilter applies exclude after include", () => {
  const f = new UnitFilter({ units: ["*.service"], excludeUnits: ["b.service"] });
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=a.service"]), true);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=b.service"]), false);
  // the cached answer is reused for the same unit bytes
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=b.service"]), false);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=a.scope"]), false);
});

Deno.test("UnitFilter without globs is empty and accepts everything", () => {
  const f = new UnitFilter({});
  assert.equal(f.empty, true);
  assert.equal(accepts(f, []), true);
  assert.throws(() => new UnitFilter({ units: [""] }), TypeError);
});

Deno.test("mangleUnitName() completes a bare name with .service, as journalctl -u", () => {
  assert.equal(mangleUnitName("systemd-journald"), "systemd-journald.service");
  assert.equal(mangleUnitName("dbus.socket"), "dbus.socket");
  assert.equal(mangleUnitName("user-1000.slice"), "user-1000.slice");
  assert.equal(mangleUnitName("getty@*"), "getty@*");
  assert.equal(mangleUnitName("app-[ab]"), "app-[ab]");
});

Deno.test("UnitFilter completes bare names: dbus includes and excludes dbus.service", () => {
  const f = new UnitFilter({ units: ["dbus", "systemd-journald"] });
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=dbus.service"]), true);
  assert.equal(accepts(f, ["_SYSTEMD_UNIT=systemd-journald.service"]), true);
  const x = new UnitFilter({ excludeUnits: ["dbus"] });
  assert.equal(accepts(x, ["_SYSTEMD_UNIT=dbus.service"]), false);
});
