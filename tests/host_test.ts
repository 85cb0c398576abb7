/**
 * What users of a systemd host expect, in one booted container per image (docs/host.md):
 * a lingering user's manager (user@UID.service), `systemctl --user`, `systemd-run
 * --user`, login sessions of `runuser -l` and `su -l` (logind through pam_systemd; not
 * ssh: the images have no sshd), timers, tmpfiles, sysusers, `hostnamectl`,
 * `timedatectl`, `systemd-analyze`, `run0` (257 and later). The checks run in order on the one container; the
 * first makes the user the later ones use. `machinectl shell` is not in the images
 * (docs/host.md says why and how to add it): the last check keeps that statement true.
 */
import assert from "node:assert/strict";
import { type Container, delay, testEachImageShared } from "./harness.ts";

const USER = "alice";
const UID = 1000;
const RUNTIME_DIR = `/run/user/${UID}`;

/** Runs `script` with `sh -c`, asserts exit code 0, returns its stdout trimmed. */
async function sh(c: Container, script: string, user?: string): Promise<string> {
  const r = await c.sh(script, { user, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${script}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Polls `script` until its stdout (trimmed) is `want`, for at most `timeoutMs`. */
async function until(c: Container, script: string, want: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await c.sh(script, { timeoutMs: 10_000 });
    last = r.stdout.trim() || r.stderr.trim();
    if (last === want) return;
    await delay(100);
  }
  assert.fail(`${script}: "${last}" after ${timeoutMs} ms, wanted "${want}"`);
}

/** The user's own environment for `systemctl --user` outside a login session. */
const AS_USER = `runuser -u ${USER} -- env XDG_RUNTIME_DIR=${RUNTIME_DIR} ` +
  `DBUS_SESSION_BUS_ADDRESS=unix:path=${RUNTIME_DIR}/bus`;

testEachImageShared("a systemd host's tools", {
  flags: ["minimal"],
  dockerArgs: ["--hostname", "csd-host"],
}, [
  ["loginctl enable-linger starts the user's manager, running", async (c) => {
    // In systemd-journal: the journal is in memory, one file, no per-user files to read.
    await sh(
      c,
      `useradd -m -u ${UID} -G systemd-journal ${USER} && loginctl enable-linger ${USER}`,
    );
    await until(c, `systemctl is-active user@${UID}.service`, "active");
    assert.equal(await sh(c, `${AS_USER} systemctl --user is-system-running --wait`), "running");
    assert.equal(await sh(c, `loginctl show-user ${USER} -p Linger --value`), "yes");
  }],
  ["systemd-run --user runs a unit of the user's manager, logged to docker logs", async (c) => {
    const out = await sh(c, `${AS_USER} systemd-run --user --wait --pipe --quiet id -un`);
    assert.equal(out, USER);
    await sh(c, `${AS_USER} systemd-run --user --quiet sh -c 'echo csd-host-check-user-unit'`);
    // The service's own line, not systemd's "Started ..." that names the command.
    await c.waitForLogs((l) => l.stdout.includes('"MESSAGE":"csd-host-check-user-unit"'));
    // The user reads it with journalctl _UID= (journalctl --user finds no user files).
    const own = await sh(c, `su -l ${USER} -c 'journalctl -q --no-pager -o cat _UID=${UID}'`);
    assert.ok(own.split("\n").includes("csd-host-check-user-unit"), own);
  }],
  ["runuser -l and su -l open logind sessions in which systemctl --user works", async (c) => {
    for (const login of ["runuser -l", "su -l"]) {
      const out = await sh(
        c,
        `${login} ${USER} -c 'loginctl show-session "$XDG_SESSION_ID" -p Name -p Class ` +
          `--value; echo "$XDG_RUNTIME_DIR"; systemctl --user is-system-running'`,
      );
      // Class "background": logind's class for a session without a tty (docker exec -T).
      assert.deepEqual(out.split("\n"), [USER, "background", RUNTIME_DIR, "running"], login);
    }
  }],
  ["a timer fires and its service's output reaches docker logs", async (c) => {
    await sh(
      c,
      "systemd-run --quiet --on-active=1 --timer-property=AccuracySec=10ms " +
        "--unit csd-host-timer sh -c 'echo csd-host-check-timer'",
    );
    await c.waitForLogs((l) => l.stdout.includes('"MESSAGE":"csd-host-check-timer"'));
    const timers = await sh(c, "systemctl list-timers --all --no-legend --plain");
    assert.match(timers, /systemd-tmpfiles-clean\.timer/);
  }],
  ["systemd-tmpfiles ran at boot and creates what a tmpfiles.d file says", async (c) => {
    assert.equal(await sh(c, "systemctl is-active systemd-tmpfiles-setup.service"), "active");
    await sh(
      c,
      `echo 'd /run/csd-host-check 0750 ${USER} ${USER} -' >/etc/tmpfiles.d/csd-host-check.conf` +
        " && systemd-tmpfiles --create /etc/tmpfiles.d/csd-host-check.conf",
    );
    assert.equal(await sh(c, "stat -c '%a %U' /run/csd-host-check"), `750 ${USER}`);
  }],
  ["systemd-sysusers creates a system user", async (c) => {
    await sh(c, `systemd-sysusers --inline 'u csd-sysuser - "sysusers check"'`);
    assert.match(
      await sh(c, "getent passwd csd-sysuser"),
      /^csd-sysuser:x:\d+:\d+:sysusers check:/,
    );
  }],
  ["hostnamectl shows the name; set-hostname fails on Docker's /etc/hostname", async (c) => {
    const status = await sh(c, "hostnamectl status");
    assert.match(status, /Static hostname: csd-host$/m);
    assert.match(status, /Virtualization: docker$/m);
    // Docker bind-mounts /etc/hostname; hostnamed replaces it by rename(2): EBUSY.
    const set = await c.sh("hostnamectl set-hostname csd-renamed");
    assert.notEqual(set.code, 0, set.stdout);
    assert.match(set.stderr, /Device or resource busy/);
    assert.equal(await sh(c, "hostname"), "csd-host");
  }],
  ["timedatectl shows the clock and sets the time zone, not the time or NTP", async (c) => {
    assert.match(await sh(c, "timedatectl status"), /Time zone: /);
    await sh(c, "timedatectl set-timezone Etc/UTC");
    assert.equal(await sh(c, "timedatectl show -p Timezone --value"), "Etc/UTC");
    // The clock is the host's: no CAP_SYS_TIME, no NTP service in a container.
    const time = await c.sh("timedatectl set-time '2030-01-01 00:00:00'");
    assert.notEqual(time.code, 0, time.stdout);
    const ntp = await c.sh("timedatectl set-ntp true");
    assert.match(ntp.stderr, /NTP not supported/);
  }],
  ["systemd-analyze gives the boot time, blame and a clean verify of the agent", async (c) => {
    assert.match(await sh(c, "systemd-analyze time"), /^Startup finished in .*\(userspace\)/);
    assert.match(await sh(c, "systemd-analyze blame"), /journalagent\.service/);
    await sh(c, "systemd-analyze verify /etc/systemd/system/journalagent.service");
  }],
  ["run0 runs a command as the user where systemd has it (256 and later)", async (c) => {
    if (c.tag === "12") {
      assert.notEqual((await c.sh("command -v run0")).code, 0);
      return;
    }
    assert.equal(await sh(c, `run0 -u ${USER} id -un`), USER);
  }],
  ["machinectl is not in the image (docs/host.md: add systemd-container)", async (c) => {
    const r = await c.sh("command -v machinectl");
    assert.notEqual(r.code, 0, r.stdout);
  }],
]);
