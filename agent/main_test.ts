import assert from "node:assert/strict";
import { libc } from "../ffi/libc.ts";
import { O_CLOEXEC, O_NONBLOCK } from "../ffi/linux.ts";
import { EXIT_CONFIG } from "./config.ts";
import { agentMain } from "./main.ts";

/** Runs the agent with `env` and this process as PID 1; returns its exit code and stderr. */
async function run(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const ends = new Int32Array(2);
  assert.equal(libc().pipe2(ends, O_NONBLOCK | O_CLOEXEC), 0);
  try {
    const code = await agentMain({ "source-pid": String(Deno.pid) }, {
      SYSTEMD_STDOUT_FILENO: String(ends[1]),
      ...env,
    });
    const buf = new Uint8Array(4096);
    const n = Number(libc().read(ends[0]!, buf, BigInt(buf.length)));
    return { code, stderr: new TextDecoder().decode(buf.subarray(0, Math.max(n, 0))) };
  } finally {
    libc().close(ends[0]!);
    libc().close(ends[1]!);
  }
}

Deno.test("agentMain() reports a cursor file it cannot open as a bad setting (exit 78)", async () => {
  const r = await run({ JOURNALAGENT_CURSOR_FILE: "/proc/cursor" });
  assert.equal(r.code, EXIT_CONFIG);
  assert.match(
    r.stderr,
    /^journalagent: invalid JOURNALAGENT_CURSOR_FILE "\/proc\/cursor": expected a file the agent can write \(Cannot open "\/proc\/cursor": .+\)\n$/,
  );
});

Deno.test("agentMain() reports a missing journal directory as a bad setting (exit 78)", async () => {
  const r = await run({ JOURNALAGENT_DIRECTORY: "/nonexistent-journal" });
  assert.equal(r.code, EXIT_CONFIG);
  assert.match(r.stderr, /^journalagent: invalid JOURNALAGENT_DIRECTORY "\/nonexistent-journal"/);
});

Deno.test("agentMain() goes on when the service manager refuses READY=1", async () => {
  // As at the end of a shutdown, when the manager has closed its notify socket
  // (ECONNREFUSED): the agent must still reach its work (here: reporting a bad setting
  // on the output). Here the notification fails because sd_notify(3) reads
  // $NOTIFY_SOCKET from this process's real environment, where it is not set.
  const r = await run({
    NOTIFY_SOCKET: "/nonexistent/systemd/notify",
    JOURNALAGENT_DIRECTORY: "/nonexistent-journal",
  });
  assert.equal(r.code, EXIT_CONFIG);
  assert.match(r.stderr, /^journalagent: invalid JOURNALAGENT_DIRECTORY "\/nonexistent-journal"/);
});
