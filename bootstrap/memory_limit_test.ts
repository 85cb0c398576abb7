import assert from "node:assert/strict";
import { memoryLimitAdvice, readMemoryLimit } from "./memory_limit.ts";

function files(map: Record<string, string>): (path: string) => string | undefined {
  return (path) => map[path];
}

Deno.test("readMemoryLimit() reads cgroup v1 memory.limit_in_bytes in a private namespace", () => {
  const limit = readMemoryLimit({
    procCgroup: "4:memory:/\n0::/\n",
    readFile: files({
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
      "/sys/fs/cgroup/memory.max": "max\n",
    }),
  });
  assert.deepEqual(limit, {
    bytes: 268435456,
    source: "/sys/fs/cgroup/memory/memory.limit_in_bytes",
  });
});

Deno.test("readMemoryLimit() finds the container's v1 cgroup by its path (host namespace)", () => {
  const id = "/docker/2e72d6c3dd81";
  const limit = readMemoryLimit({
    procCgroup: `4:memory:${id}\n0::/\n`,
    readFile: files({
      [`/sys/fs/cgroup/memory${id}/memory.limit_in_bytes`]: "134217728\n",
      "/sys/fs/cgroup/memory/docker/memory.limit_in_bytes": "9223372036854771712\n",
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    }),
  });
  assert.equal(limit?.bytes, 134217728);
  assert.equal(limit?.source, `/sys/fs/cgroup/memory${id}/memory.limit_in_bytes`);
});

Deno.test("readMemoryLimit() reads runc's bind mount of the own cgroup under --privileged", () => {
  const limit = readMemoryLimit({
    procCgroup: "4:memory:/docker/2e72d6c3dd81\n0::/\n",
    readFile: files({ "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n" }),
  });
  assert.equal(limit?.bytes, 268435456);
});

Deno.test("readMemoryLimit() takes the smallest limit of the cgroup and its ancestors", () => {
  const limit = readMemoryLimit({
    procCgroup: "0::/kubepods/pod1/ctr\n",
    readFile: files({
      "/sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
      "/sys/fs/cgroup/kubepods/pod1/memory.max": "536870912\n",
      "/sys/fs/cgroup/kubepods/memory.max": "1073741824\n",
    }),
  });
  assert.deepEqual(limit, {
    bytes: 536870912,
    source: "/sys/fs/cgroup/kubepods/pod1/memory.max",
  });
});

Deno.test("readMemoryLimit() reads cgroup v2 memory.max and treats max as no limit", () => {
  const v2 = (max: string) =>
    readMemoryLimit({
      procCgroup: "0::/\n",
      readFile: files({ "/sys/fs/cgroup/memory.max": max }),
    });
  assert.equal(v2("134217728\n")?.bytes, 134217728);
  assert.equal(v2("max\n"), undefined);
});

Deno.test("readMemoryLimit() returns undefined without a limit or a memory controller", () => {
  assert.equal(
    readMemoryLimit({
      procCgroup: "4:memory:/\n0::/\n",
      readFile: files({
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      }),
    }),
    undefined,
  );
  assert.equal(readMemoryLimit({ procCgroup: "0::/\n", readFile: files({}) }), undefined);
});

Deno.test("memoryLimitAdvice() speaks up below 128 MiB only", () => {
  assert.equal(memoryLimitAdvice(undefined), undefined);
  assert.equal(memoryLimitAdvice(128 * 2 ** 20), undefined);
  assert.equal(
    memoryLimitAdvice(64 * 2 ** 20),
    "the container's memory limit of 64 MiB is below 128 MiB, the least this image is " +
      "tested with: systemd, journald and the agent take about 60 MiB during a log flood, " +
      "so the whole container can be OOM-killed; give it at least 128 MiB (--memory 128m)",
  );
  assert.match(memoryLimitAdvice(127 * 2 ** 20)!, /limit of 127 MiB/);
});
