import assert from "node:assert/strict";
import { mountOf, readOnlyPaths } from "./read_only.ts";

// `docker run --read-only --tmpfs /run --tmpfs /run/lock` (abridged).
const READ_ONLY_ROOT = [
  "586 490 0:51 / / ro,relatime master:271 - overlay overlay rw,lowerdir=/l",
  "587 586 0:54 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
  "600 586 0:60 / /run rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
  "601 600 0:61 / /run/lock rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
].join("\n");

Deno.test("mountOf() finds the longest mount point that contains the path", () => {
  assert.deepEqual(mountOf("/run/lock/x", READ_ONLY_ROOT), {
    mountPoint: "/run/lock",
    readOnly: false,
  });
  assert.deepEqual(mountOf("/runner", READ_ONLY_ROOT), { mountPoint: "/", readOnly: true });
});

Deno.test("readOnlyPaths() names /tmp on a read-only root without --tmpfs /tmp", () => {
  assert.deepEqual(readOnlyPaths(READ_ONLY_ROOT).map((p) => p.fix), ["--tmpfs /tmp"]);
  const withTmp = `${READ_ONLY_ROOT}\n602 586 0:62 / /tmp rw,nosuid - tmpfs tmpfs rw`;
  assert.deepEqual(readOnlyPaths(withTmp), []);
});
