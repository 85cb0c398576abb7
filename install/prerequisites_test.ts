import assert from "node:assert/strict";
import { checkPrerequisites } from "./prerequisites.ts";
import { COMPLETE_FACTS as complete } from "./_test_fixtures.ts";

Deno.test("checkPrerequisites() passes a complete image without a word", () => {
  assert.deepEqual(checkPrerequisites(complete), { errors: [], warnings: [] });
});

Deno.test("checkPrerequisites() stops without systemd, naming the packages", () => {
  const r = checkPrerequisites({ ...complete, systemd: null, systemdVersion: null });
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!, /^systemd not found .*apt-get install systemd systemd-sysv dbus/);
});

Deno.test("checkPrerequisites() stops when the tree was not copied whole", () => {
  const r = checkPrerequisites({
    ...complete,
    missingTreeFiles: ["/usr/bin/journalagent", "/usr/bin/systemd-bootstrap"],
  });
  assert.deepEqual(r.errors, [
    "/usr/bin/journalagent, /usr/bin/systemd-bootstrap missing: copy the whole tree first " +
    "(COPY --from=containering-systemd:debian-12 /opt/containering-systemd/ /)",
  ]);
});

Deno.test("checkPrerequisites() stops without systemctl or libsystemd", () => {
  const r = checkPrerequisites({
    ...complete,
    systemctl: false,
    libsystemdError: "libsystemd.so.0: cannot open shared object file",
  });
  assert.equal(r.errors.length, 2);
  assert.match(r.errors[0]!, /^systemctl not found on PATH: /);
  assert.match(r.errors[1]!, /^libsystemd\.so\.0 does not load \(.*\): .*libsystemd0/);
});

Deno.test("checkPrerequisites() only warns about an old systemd, no D-Bus, no pam_systemd", () => {
  const r = checkPrerequisites({
    ...complete,
    systemdVersion: 241, // Debian 10
    dbus: false,
    pamSystemd: false,
  });
  assert.deepEqual(r.errors, []);
  assert.equal(r.warnings.length, 3);
  assert.match(r.warnings[0]!, /^systemd 241 is older than the oldest tested here \(247\)/);
  assert.match(r.warnings[1]!, /^no D-Bus system bus/);
  assert.match(r.warnings[2]!, /^pam_systemd\.so not found: .*libpam-systemd$/);
});
