import assert from "node:assert/strict";
import { CAP_SYS_BOOT, hasCapability, missingCapabilities } from "./capabilities.ts";

Deno.test("hasCapability() reads bit 22 of a full bounding set", () => {
  assert.equal(hasCapability("000001ffffffffff", CAP_SYS_BOOT), true);
});

Deno.test("hasCapability() sees CAP_SYS_BOOT missing from Docker's default set", () => {
  // Docker's default bounding set: chown dac_override fowner fsetid kill setgid setuid
  // setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap.
  assert.equal(hasCapability("00000000a80425fb", CAP_SYS_BOOT), false);
});

Deno.test("missingCapabilities() finds none in Docker's default set", () => {
  assert.deepEqual(missingCapabilities("00000000a80425fb"), []);
});

Deno.test("missingCapabilities() names what --cap-drop ALL --cap-add SYS_ADMIN lacks", () => {
  assert.deepEqual(
    missingCapabilities("0000000000200000").map((c) => c.name),
    ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID", "SETPCAP", "SYS_CHROOT"],
  );
});
