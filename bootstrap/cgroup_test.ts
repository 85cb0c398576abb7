import assert from "node:assert/strict";
import { HYBRID_MOUNTINFO } from "./_test_fixtures.ts";
import { cgroupLayout, findMount, hasPrivateCgroupNamespace } from "./cgroup.ts";

Deno.test("findMount() reads the type and the per-mount ro option; the last mount wins", () => {
  assert.deepEqual(findMount("/sys/fs/cgroup/systemd", HYBRID_MOUNTINFO), {
    type: "cgroup",
    readOnly: true,
  });
  const over = HYBRID_MOUNTINFO + "\n300 220 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
  assert.deepEqual(findMount("/sys/fs/cgroup", over), { type: "cgroup2", readOnly: false });
  assert.equal(findMount("/nowhere", HYBRID_MOUNTINFO), undefined);
});

Deno.test("cgroupLayout() tells v1, hybrid, v2 and none apart", () => {
  assert.equal(cgroupLayout(HYBRID_MOUNTINFO), "v1");
  const hybrid = HYBRID_MOUNTINFO +
    "\n244 220 0:38 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate";
  assert.equal(cgroupLayout(hybrid), "hybrid");
  assert.equal(cgroupLayout("1 0 0:1 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw"), "v2");
  assert.equal(cgroupLayout("1 0 0:1 / / rw - overlay overlay rw"), "none");
});

Deno.test("hasPrivateCgroupNamespace() is true only when every path is /", () => {
  assert.equal(hasPrivateCgroupNamespace("9:name=systemd:/\n0::/\n"), true);
  assert.equal(hasPrivateCgroupNamespace("9:name=systemd:/docker/ab\n0::/docker/ab\n"), false);
  // The host's root cgroup in the host's first namespace also shows "/".
  assert.equal(hasPrivateCgroupNamespace("0::/\n", "cgroup:[4026532610]"), true);
  assert.equal(hasPrivateCgroupNamespace("0::/\n", "cgroup:[4026531835]"), false);
});
