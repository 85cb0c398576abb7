/**
 * journalagent at the container's stop: it is stopped last and drains, so the stop
 * messages of other services (their ExecStop output, systemd's "Stopped ..." lines) and
 * journald's own last words reach `docker logs`, and `docker stop` stays fast.
 */
import assert from "node:assert/strict";
import { testEachImage } from "./harness.ts";

const UNIT = `[Unit]
Description=CSD Stop Logger
[Service]
ExecStart=/bin/sh -c 'echo stoplogger running; exec sleep infinity'
ExecStop=/bin/sh -c 'echo stoplogger ExecStop ran'
`;

testEachImage(
  "the last journal entries before docker stop reach the container log",
  { env: { JOURNALAGENT_OUTPUT: "cat" } },
  async (c) => {
    const setup = await c.sh(
      `cat >/etc/systemd/system/csd-stoplog.service <<'EOF'\n${UNIT}EOF\n` +
        "systemctl daemon-reload && systemctl start csd-stoplog.service",
    );
    assert.equal(setup.code, 0, setup.stderr);
    await c.waitForLogs((l) => /^stoplogger running$/m.test(l.stdout));
    const stop = await c.stop();
    assert.equal(stop.exitCode, 0, "exit code after docker stop");
    assert.ok(stop.ms < 2000, `docker stop took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`);
    const out = (await c.logs()).stdout;
    // How the fds were taken: pidfd_getfd where the seccomp profile allows it
    // (--privileged), else /proc/1/fd/N; batches staged in the fd store (exactly once).
    const method = c.flags === "privileged" ? "pidfd_getfd" : "proc";
    assert.match(
      out,
      new RegExp(
        `^Forwarding the journal from the start of the boot \\(output cat; .*, taken with ${method}; staged in the fd store\\)$`,
        "m",
      ),
    );
    const lines = out.trimEnd().split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const execStop = at(/^stoplogger ExecStop ran$/);
    // systemd 247 names the unit by its description only ("Stopped CSD Stop Logger.").
    const stopped = at(/^Stopped (csd-stoplog\.service\b|CSD Stop Logger\.$)/);
    const shuttingDown = at(/^Shutting down\.$/);
    const journalStopped = at(/^Journal stopped$/);
    assert.ok(execStop >= 0, "the service's ExecStop output is in the log");
    assert.ok(stopped > execStop, "systemd's Stopped line follows it");
    assert.ok(shuttingDown > stopped, "PID 1's last message (Shutting down.) is in the log");
    assert.ok(journalStopped > shuttingDown, "journald's last message is in the log");
  },
);
