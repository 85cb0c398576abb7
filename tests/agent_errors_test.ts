/**
 * journalagent's errors are reported where the user looks and do not turn into a
 * restart loop: a bad setting on the container's stderr, a missing fd in the journal.
 */
import assert from "node:assert/strict";
import { type Container, delay, testEachImage } from "./harness.ts";

/**
 * Polls until `unit` is failed (at most 10 s) and returns its ActiveState, ExecMainStatus
 * and NRestarts lines, sorted.
 */
async function waitUnitFailed(c: Container, unit: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await c.exec([
      "systemctl",
      "show",
      "-p",
      "ActiveState",
      "-p",
      "ExecMainStatus",
      "-p",
      "NRestarts",
      unit,
    ]);
    const lines = r.stdout.trim().split("\n").sort();
    if (lines.includes("ActiveState=failed") || Date.now() > deadline) return lines;
    await delay(100);
  }
}

// A bad setting given at `docker run` stops the container at start (the bootstrap checks
// it, tests/bootstrap_test.ts); one set later in the manager's environment reaches only
// the agent, which must say so and stay down.
testEachImage(
  "a bad setting is one line on the container's stderr and no restart loop",
  {},
  async (c) => {
    const set = await c.sh(
      "systemctl set-environment JOURNALAGENT_OUTPUT=jsn && systemctl restart --no-block journalagent",
    );
    assert.equal(set.code, 0, set.stderr);
    const line = 'journalagent: invalid JOURNALAGENT_OUTPUT "jsn": expected one of json, ' +
      "short-iso, short-precise, cat, logfmt, collector";
    await c.waitForLogs((l) => l.stderr.includes(line));
    // Failed with RestartPreventExitStatus= is final: no restart can follow it, so once
    // the unit is failed the line count is final too (no delay needed to see a loop).
    const show = await waitUnitFailed(c, "journalagent");
    const logs = await c.logs();
    assert.deepEqual(logs.stderr.split("\n").filter((l) => l.includes("journalagent")), [line]);
    assert.deepEqual(show, ["ActiveState=failed", "ExecMainStatus=78", "NRestarts=0"]);
  },
);

testEachImage(
  "without SYSTEMD_STDOUT_FILENO the agent says why and how to fix it, and stays down",
  { env: { JOURNALAGENT_OUTPUT: "cat" } },
  async (c) => {
    // A drop-in that passes none of PID 1's variables, as if the interceptor were absent.
    const r = await c.sh(
      "mkdir -p /run/systemd/system/journalagent.service.d && " +
        "printf '[Service]\\nPassEnvironment=\\n' >/run/systemd/system/journalagent.service.d/none.conf && " +
        "systemctl daemon-reload && systemctl restart --no-block journalagent.service",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await waitUnitFailed(c, "journalagent"), [
      "ActiveState=failed",
      "ExecMainStatus=69",
      "NRestarts=0",
    ]);
    // journald may store the line a moment after the unit failed: poll for it (5 s).
    const log = await c.sh(
      "q() { journalctl -u journalagent.service -o cat | grep '^journalagent:'; }; " +
        "for i in $(seq 50); do q >/dev/null && break; sleep 0.1; done; q",
    );
    assert.deepEqual(log.stdout.trim().split("\n"), [
      "journalagent: SYSTEMD_STDOUT_FILENO is not set, so PID 1 keeps no copy of the " +
      "container's stdout: start the container with /usr/bin/systemd-bootstrap as its " +
      "entrypoint (it preloads the interceptor into systemd) and keep " +
      "PassEnvironment=SYSTEMD_STDOUT_FILENO SYSTEMD_STDERR_FILENO in journalagent.service",
    ]);
  },
);
