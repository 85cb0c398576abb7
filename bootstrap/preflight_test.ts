import assert from "node:assert/strict";
import { HYBRID_MOUNTINFO } from "./_test_fixtures.ts";
import {
  checkCapabilities,
  checkPid1,
  checkRoot,
  checkRun,
  planCgroups,
  PreflightError,
  systemdVersion,
  versionFromSharedLibrary,
} from "./preflight.ts";

const DOCKER_DEFAULT_CAPS = "00000000a80425fb";
const WITH_SYS_ADMIN = "00000000a82425fb";
const PRIVATE = "9:name=systemd:/\n0::/\n";
const HOST = "0::/docker/abc\n";

Deno.test("checkPid1() names --init when not PID 1", () => {
  checkPid1(1);
  assert.throws(
    () => checkPid1(7),
    /^PreflightError: not PID 1 \(running as PID 7\).*drop --init/s,
  );
});

Deno.test("checkRun() accepts a tmpfs at /run, or CAP_SYS_ADMIN to mount one", () => {
  checkRun({ mountinfo: HYBRID_MOUNTINFO, procCgroup: PRIVATE, capEff: DOCKER_DEFAULT_CAPS });
  const noRun = HYBRID_MOUNTINFO.split("\n").filter((l) => !l.includes(" /run ")).join("\n");
  checkRun({ mountinfo: noRun, procCgroup: PRIVATE, capEff: WITH_SYS_ADMIN });
  assert.throws(
    () => checkRun({ mountinfo: noRun, procCgroup: PRIVATE, capEff: DOCKER_DEFAULT_CAPS }),
    (e: unknown) =>
      e instanceof PreflightError && e.fix === "run with --tmpfs /run --tmpfs /run/lock",
  );
});

Deno.test("planCgroups() mounts a private cgroup2 with CAP_SYS_ADMIN, new namespace if shared", () => {
  const host = { mountinfo: HYBRID_MOUNTINFO, procCgroup: PRIVATE, capEff: WITH_SYS_ADMIN };
  assert.deepEqual(planCgroups(252, host), { mount: true, newNamespace: false });
  assert.deepEqual(planCgroups(262, { ...host, procCgroup: HOST }), {
    mount: true,
    newNamespace: true,
  });
});

Deno.test("planCgroups() leaves a writable cgroup2 alone", () => {
  const v2 = "1 0 0:1 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate";
  const host = { mountinfo: v2, procCgroup: PRIVATE, capEff: DOCKER_DEFAULT_CAPS };
  assert.deepEqual(planCgroups(262, host), { mount: false, newNamespace: false });
});

Deno.test("planCgroups() gives systemd a namespace of its own over the host's writable cgroup2", () => {
  // `--privileged --cgroupns=host` on a cgroup v2 host: the host's whole tree, writable.
  const v2 = "1 0 0:1 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate";
  const host = { mountinfo: v2, procCgroup: HOST, capEff: WITH_SYS_ADMIN };
  for (const version of [252, 262]) {
    assert.deepEqual(planCgroups(version, host), { mount: true, newNamespace: true });
  }
  // In the host's root cgroup /proc/self/cgroup shows "/" too; the namespace tells, and
  // a namespace made there would still be rooted at the host's root.
  const atRoot = { ...host, procCgroup: PRIVATE, cgroupNamespace: "cgroup:[4026531835]" };
  assert.throws(
    () => planCgroups(262, atRoot),
    /^PreflightError: the container runs in the host's root cgroup/,
  );
  assert.deepEqual(planCgroups(262, { ...atRoot, cgroupNamespace: "cgroup:[4026532610]" }), {
    mount: false,
    newNamespace: false,
  });
  assert.throws(
    () => planCgroups(252, { ...host, capEff: DOCKER_DEFAULT_CAPS }),
    (e: unknown) =>
      e instanceof PreflightError &&
      e.problem.startsWith("/sys/fs/cgroup is the host's own writable cgroup2") &&
      e.fix === "run with --cap-add SYS_ADMIN --cgroupns=private",
  );
});

Deno.test("planCgroups() without CAP_SYS_ADMIN: v1 read-only or v2-only systemd fail with the flags", () => {
  const host = { mountinfo: HYBRID_MOUNTINFO, procCgroup: PRIVATE, capEff: DOCKER_DEFAULT_CAPS };
  for (const version of [252, 262]) {
    assert.throws(
      () => planCgroups(version, host),
      (e: unknown) =>
        e instanceof PreflightError &&
        e.fix === "run with --cap-add SYS_ADMIN --cgroupns=private (or --privileged)",
    );
  }
  const writable = HYBRID_MOUNTINFO.replace(
    "/sys/fs/cgroup/systemd ro,",
    "/sys/fs/cgroup/systemd rw,",
  );
  assert.deepEqual(planCgroups(252, { ...host, mountinfo: writable }), {
    mount: false,
    newNamespace: false,
  });
  assert.throws(() => planCgroups(262, { ...host, mountinfo: writable }), /needs cgroup v2/);
});

Deno.test("checkRun() and planCgroups() name podman's --systemd=always under Podman", () => {
  const noRun = HYBRID_MOUNTINFO.split("\n").filter((l) => !l.includes(" /run ")).join("\n");
  const host = {
    mountinfo: noRun,
    procCgroup: PRIVATE,
    capEff: DOCKER_DEFAULT_CAPS,
    manager: "podman",
  };
  assert.throws(() => checkRun(host), /: run podman with --systemd=always$/);
  assert.throws(
    () => planCgroups(262, host),
    /: run podman with --systemd=always --cap-add SYS_ADMIN --cgroupns=private$/,
  );
});

Deno.test("checkRoot() says systemd must run as root, naming --user", () => {
  checkRoot(0);
  assert.throws(
    () => checkRoot(1000),
    /^PreflightError: running as uid 1000 \(docker run --user.*systemd must run as root inside the container: drop --user/,
  );
});

Deno.test("checkCapabilities() names each missing capability and its --cap-add", () => {
  checkCapabilities({ mountinfo: "", procCgroup: PRIVATE, capEff: WITH_SYS_ADMIN });
  assert.throws(
    () => checkCapabilities({ mountinfo: "", procCgroup: PRIVATE, capEff: "00000000a82424fb" }),
    (e: unknown) =>
      e instanceof PreflightError &&
      e.problem === "capabilities missing: CAP_SETPCAP (journald)" &&
      e.fix.startsWith("run with --cap-add SETPCAP "),
  );
});

Deno.test("versionFromSharedLibrary() takes the one version the library names show", () => {
  assert.equal(versionFromSharedLibrary(["systemd", "libsystemd-shared-247.so"]), 247);
  assert.equal(
    versionFromSharedLibrary(["libsystemd-shared-262.so", "libsystemd-core-262.so"]),
    262,
  );
  assert.equal(versionFromSharedLibrary(["libsystemd-shared-256.11-1.fc41.so"]), 256);
  // Two versions (an upgrade's leftover): the binary must say.
  assert.equal(
    versionFromSharedLibrary(["libsystemd-shared-252.so", "libsystemd-shared-257.so"]),
    undefined,
  );
  assert.equal(versionFromSharedLibrary(["libsystemd-shared.so", "systemd"]), undefined);
});

Deno.test("systemdVersion() reads the library's name, and asks the binary only without one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "csd-systemd-" });
  try {
    // A binary that would give another answer: the library's name wins, nothing runs.
    await Deno.writeTextFile(`${dir}/systemd`, "#!/bin/sh\necho 'systemd 249 (249.11)'\n");
    await Deno.chmod(`${dir}/systemd`, 0o755);
    await Deno.writeTextFile(`${dir}/libsystemd-shared-252.so`, "");
    assert.equal(await systemdVersion(`${dir}/systemd`), 252);
    await Deno.remove(`${dir}/libsystemd-shared-252.so`);
    assert.equal(await systemdVersion(`${dir}/systemd`), 249);
    await Deno.writeTextFile(`${dir}/systemd`, "#!/bin/sh\nexit 1\n");
    await assert.rejects(systemdVersion(`${dir}/systemd`), PreflightError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
