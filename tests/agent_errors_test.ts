/**
 * journalagent's errors are reported where the user looks and do not turn into a
 * restart loop: a bad setting on the container's stderr, a missing fd in the journal.
 */
import assert from "node:assert/strict";
import { delay, testEachImage } from "./harness.ts";

// A bad setting given at `docker run` stops the container at start (the bootstrap checks
// it, tests/bootstrap_test.ts); one set later in the manager's environment reaches only
// the agent, which must say so and stay down.
testEachImage(
  "a bad setting is one line on the container's stderr and no restart loop",
  {},
  async (c) => {
    const set = await c.sh(
      "systemctl set-environment JOURNALAGENT_OUTPUT=jsn && systemctl restart journalagent",
    );
    assert.equal(set.code, 0, set.stderr);
    const line = 'journalagent: invalid JOURNALAGENT_OUTPUT "jsn": expected one of json, ' +
      "short-iso, short-precise, cat, logfmt, collector";
    await c.waitForLogs((l) => l.stderr.includes(line));
    await delay(1000); // a restart loop would have repeated it by now
    const logs = await c.logs();
    assert.deepEqual(logs.stderr.split("\n").filter((l) => l.includes("journalagent")), [line]);
    const show = await c.exec([
      "systemctl",
      "show",
      "-p",
      "NRestarts",
      "-p",
      "ExecMainStatus",
      "-p",
      "ActiveState",
      "journalagent",
    ]);
    assert.deepEqual(show.stdout.trim().split("\n").sort(), [
      "ActiveState=failed",
      "ExecMainStatus=78",
      "NRestarts=0",
    ]);
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
        "systemctl daemon-reload && systemctl restart journalagent.service; sleep 1; " +
        "systemctl show -p NRestarts -p ExecMainStatus journalagent.service; " +
        "journalctl -u journalagent.service -o cat | grep '^journalagent:'",
    );
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.slice(0, 2).sort(), ["ExecMainStatus=69", "NRestarts=0"]);
    assert.deepEqual(lines.slice(2), [
      "journalagent: SYSTEMD_STDOUT_FILENO is not set, so PID 1 keeps no copy of the " +
      "container's stdout: start the container with /usr/bin/systemd-bootstrap as its " +
      "entrypoint (it preloads the interceptor into systemd) and keep " +
      "PassEnvironment=SYSTEMD_STDOUT_FILENO SYSTEMD_STDERR_FILENO in journalagent.service",
    ]);
  },
);
