import assert from "node:assert/strict";
import { O_CREAT, O_WRONLY } from "../../ffi/linux.ts";
import { cString, libc } from "../../ffi/libc.ts";
import { OutputUnavailableError, takeOutputFds } from "./output_fds.ts";
import { OutputSink } from "./output_sink.ts";
import { writeAll } from "./write_all.ts";

function openRaw(path: string, flags = O_WRONLY | O_CREAT): number {
  const fd = libc().open(cString(path), flags, 0o600);
  assert.ok(fd >= 0, `open ${path}`);
  return fd;
}

for (const method of ["pidfd_getfd", "proc"] as const) {
  Deno.test(`takeOutputFds() takes a process's fds with ${method}`, async () => {
    const dir = Deno.makeTempDirSync();
    const held = [openRaw(`${dir}/out`), openRaw(`${dir}/err`)];
    try {
      const fds = takeOutputFds(
        { SYSTEMD_STDOUT_FILENO: String(held[0]), SYSTEMD_STDERR_FILENO: String(held[1]) },
        { pid: Deno.pid, methods: [method] },
      );
      assert.equal(fds.method, method);
      assert.ok(!held.includes(fds.stdout) && !held.includes(fds.stderr));
      await writeAll(fds.stdout, new TextEncoder().encode("to stdout\n"));
      await writeAll(fds.stderr, new TextEncoder().encode("to stderr\n"));
      libc().close(fds.stdout);
      libc().close(fds.stderr);
      assert.equal(Deno.readTextFileSync(`${dir}/out`), "to stdout\n");
      assert.equal(Deno.readTextFileSync(`${dir}/err`), "to stderr\n");
    } finally {
      held.forEach((fd) => libc().close(fd));
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("takeOutputFds() uses stdout for stderr when PID 1 keeps no stderr copy", () => {
  const dir = Deno.makeTempDirSync();
  const held = openRaw(`${dir}/out`);
  try {
    const fds = takeOutputFds({ SYSTEMD_STDOUT_FILENO: String(held) }, { pid: Deno.pid });
    assert.equal(fds.stderr, fds.stdout);
    libc().close(fds.stdout);
  } finally {
    libc().close(held);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("takeOutputFds() uses the stderr copy for both when the container has no stdout", () => {
  const dir = Deno.makeTempDirSync();
  const held = openRaw(`${dir}/err`);
  try {
    const fds = takeOutputFds({ SYSTEMD_STDERR_FILENO: String(held) }, { pid: Deno.pid });
    assert.equal(fds.stdout, fds.stderr);
    assert.equal(fds.stdoutMissing, true);
    libc().close(fds.stdout);
  } finally {
    libc().close(held);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("takeOutputFds() says how to fix a missing SYSTEMD_STDOUT_FILENO", () => {
  assert.throws(() => takeOutputFds({}), (e: unknown) => {
    assert.ok(e instanceof OutputUnavailableError);
    assert.match(e.message, /^SYSTEMD_STDOUT_FILENO is not set, .*systemd-bootstrap/);
    return true;
  });
});

Deno.test("takeOutputFds() names every failed method and the fix", () => {
  assert.throws(
    () => takeOutputFds({ SYSTEMD_STDOUT_FILENO: "987654" }, { pid: Deno.pid }),
    (e: unknown) => {
      assert.ok(e instanceof OutputUnavailableError);
      assert.equal(
        e.message,
        `Cannot take the container's stdout (fd 987654 of PID ${Deno.pid}): ` +
          `pidfd_getfd(987654): Bad file descriptor (EBADF); ` +
          `open "/proc/${Deno.pid}/fd/987654": No such file or directory (ENOENT); ` +
          `run the container with --cap-add SYS_PTRACE, or give it a pipe or a terminal ` +
          `as stdout (docker, podman and containerd do)`,
      );
      return true;
    },
  );
});

Deno.test("takeOutputFds() refuses a copy that is /dev/null", () => {
  const held = openRaw("/dev/null", O_WRONLY);
  try {
    assert.throws(
      () => takeOutputFds({ SYSTEMD_STDOUT_FILENO: String(held) }, { pid: Deno.pid }),
      /copy of the container's stdout \(fd \d+\) is \/dev\/null/,
    );
  } finally {
    libc().close(held);
  }
});

Deno.test("takeOutputFds() rejects a SYSTEMD_STDOUT_FILENO that is not a number", () => {
  assert.throws(
    () => takeOutputFds({ SYSTEMD_STDOUT_FILENO: "five" }),
    /^OutputUnavailableError: SYSTEMD_STDOUT_FILENO is "five", not a file descriptor number/,
  );
});

Deno.test("writeAll() writes everything to a slow reader without blocking the event loop", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const fifo = `${dir}/fifo`;
    const data = new Uint8Array(1 << 20).map((_, i) => 97 + (i % 26));
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const reader = new Deno.Command("sh", {
      args: ["-c", `exec 3<"${fifo}"; sleep 0.5; cat <&3 >"${dir}/out"`],
    }).spawn();
    const held = openRaw(fifo, O_WRONLY);
    const fds = takeOutputFds({ SYSTEMD_STDOUT_FILENO: String(held) }, { pid: Deno.pid });
    libc().close(held);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const t0 = performance.now();
    await writeAll(fds.stdout, data);
    clearInterval(timer);
    const ms = performance.now() - t0;
    libc().close(fds.stdout);
    assert.ok((await reader.status).success);
    assert.ok(ms > 150, `the write waited for the reader (${ms.toFixed(0)} ms)`);
    assert.ok(ticks >= 5, `timers ran meanwhile (${ticks} ticks)`);
    assert.deepEqual(Deno.readFileSync(`${dir}/out`), data);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("OutputSink.space() follows what a slow reader leaves in a pipe", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const reader = new Deno.Command("sh", {
      args: ["-c", `exec 3<"${fifo}"; sleep 0.3; cat <&3 >"${dir}/out"`],
    }).spawn();
    const held = openRaw(fifo, O_WRONLY);
    const fds = takeOutputFds({ SYSTEMD_STDOUT_FILENO: String(held) }, { pid: Deno.pid });
    libc().close(held);
    const sink = new OutputSink(fds.stdout);
    assert.equal(sink.pipeSize, 1 << 20);
    assert.equal(sink.space(), (1 << 20) - 8192);
    await sink.write(new Uint8Array(100_000).fill(120));
    assert.equal(sink.space(), (1 << 20) - 8192 - 100_000);
    assert.equal(await sink.waitForSpace(2 << 20, performance.now() + 50), false);
    const t0 = performance.now();
    assert.equal(await sink.waitForSpace(1 << 20), true);
    assert.ok(performance.now() - t0 > 100, "waited for the reader");
    libc().close(fds.stdout);
    assert.ok((await reader.status).success);
    assert.equal(Deno.statSync(`${dir}/out`).size, 100_000);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("OutputSink.space() is unbounded for a file", () => {
  const dir = Deno.makeTempDirSync();
  const held = openRaw(`${dir}/out`);
  try {
    const sink = new OutputSink(held);
    assert.equal(sink.pipeSize, 0);
    assert.equal(sink.space(), Infinity);
  } finally {
    libc().close(held);
    Deno.removeSync(dir, { recursive: true });
  }
});
