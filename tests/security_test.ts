/**
 * The security posture, tested in both flag sets on every image:
 * - The kept copies of the container's stdout/stderr exist only in PID 1 and the agent
 *   (every /proc/PID/fd scanned for the same pipes), also after services started,
 *   daemon-reexec and an agent restart.
 * - The preloaded interceptor is mapped and set in the environment of PID 1 only.
 * - The agent runs as root with PID 1's capabilities (needed to open /proc/1/fd/N),
 *   no new privileges, a seccomp filter, a read-only root, no sockets but AF_UNIX
 *   (the sandboxing in units/journalagent.service); systemd-analyze's exposure score
 *   is recorded.
 * - Terminal control sequences written by a service (stdout stream transport) reach
 *   the text formats escaped: no ESC, BEL, C1 or other control bytes.
 * - A variable given with `docker run -e` is not readable by a non-root user: not in
 *   /proc/1/environ (mode 0400), not in `systemctl show-environment`, not in any file,
 *   and in no process running as a non-root uid.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, delay, testEachImage, testEachImageShared } from "./harness.ts";
import { recordFigure } from "./_figures.ts";

const SECRET = "s3cr3t-2f9c1e-value";

/** Facts about PID 1, the agent and every other process, gathered in one shell run. */
async function scanFds(
  c: Container,
): Promise<{ agent: number; kept: string[]; holders: string[] }> {
  const r = await c.sh(`
    a=$(systemctl show -p MainPID --value journalagent)
    o=$(tr '\\0' '\\n' < /proc/$a/environ | sed -n 's/^SYSTEMD_STDOUT_FILENO=//p')
    e=$(tr '\\0' '\\n' < /proc/$a/environ | sed -n 's/^SYSTEMD_STDERR_FILENO=//p')
    so=$(readlink /proc/1/fd/$o); se=$(readlink /proc/1/fd/$e)
    echo "agent $a"; echo "kept $so"; echo "kept $se"
    for p in /proc/[0-9]*; do
      for f in $p/fd/*; do
        l=$(readlink $f 2>/dev/null) || continue
        if [ "$l" = "$so" ] || [ "$l" = "$se" ]; then echo "holder \${p#/proc/} $(cat $p/comm)"; fi
      done
    done`);
  const lines = r.stdout.trim().split("\n");
  const field = (k: string) =>
    lines.filter((l) => l.startsWith(`${k} `)).map((l) => l.slice(k.length + 1));
  return { agent: Number(field("agent")[0]), kept: field("kept"), holders: field("holder") };
}

/** Scans until the agent holds its fds (it takes them shortly after it starts). */
async function scanSettled(c: Container): Promise<Awaited<ReturnType<typeof scanFds>>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const scan = await scanFds(c);
    const agentHolds = scan.holders.some((h) => Number(h.split(" ")[0]) === scan.agent);
    if (agentHolds || Date.now() > deadline) return scan;
    await delay(200);
  }
}

function assertOnlyPid1AndAgent(scan: Awaited<ReturnType<typeof scanFds>>, when: string): void {
  assert.ok(scan.agent > 1, `${when}: no agent`);
  assert.equal(scan.kept.length, 2);
  for (const k of scan.kept) assert.match(k, /^pipe:\[\d+\]$/, `${when}: kept fd is ${k}`);
  const pids = new Set(scan.holders.map((h) => Number(h.split(" ")[0])));
  assert.deepEqual(
    [...pids].sort((a, b) => a - b),
    [1, scan.agent],
    `${when}: processes holding the container's stdout/stderr: ${scan.holders.join(", ")}`,
  );
}

/** The kept fds exist only in PID 1 and the agent; the preload only in PID 1. */
async function keptFdsOnlyInPid1AndAgent(c: Container): Promise<void> {
  // Services of several kinds running meanwhile, one as a non-root user.
  for (const [unit, props] of [["sec-root", []], ["sec-nobody", ["-p", "User=nobody"]]] as const) {
    const r = await c.exec(["systemd-run", `--unit=${unit}`, ...props, "sleep", "600"]);
    assert.equal(r.code, 0, r.stderr);
  }
  assertOnlyPid1AndAgent(await scanSettled(c), "after boot");
  assert.equal((await c.exec(["systemctl", "daemon-reexec"])).code, 0);
  await c.exec(["systemctl", "restart", "journalagent"]);
  assertOnlyPid1AndAgent(await scanSettled(c), "after daemon-reexec and an agent restart");

  // The interceptor: mapped in PID 1 only, LD_PRELOAD in PID 1's environment only.
  const r = await c.sh(`
    for p in /proc/[0-9]*; do
      n=\${p#/proc/}
      grep -q libjournalagent_interceptor $p/maps 2>/dev/null && echo "mapped $n $(cat $p/comm)"
      tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -q '^LD_PRELOAD=' && echo "preload $n $(cat $p/comm)"
    done; true`);
  const lines = r.stdout.trim().split("\n");
  const others = lines.filter((l) => !/^(mapped|preload) 1 /.test(l) && l !== "");
  assert.ok(lines.some((l) => l.startsWith("mapped 1 ")), `PID 1 does not map the interceptor`);
  assert.deepEqual(others, [], "processes other than PID 1 with the interceptor");
}

/** The agent runs sandboxed with only the privileges it needs. */
async function agentSandboxed(c: Container): Promise<void> {
  const pid = Number(
    (await c.exec(["systemctl", "show", "-p", "MainPID", "--value", "journalagent"])).stdout,
  );
  const status = (await c.exec(["cat", `/proc/${pid}/status`])).stdout;
  const pid1 = (await c.exec(["cat", "/proc/1/status"])).stdout;
  const get = (s: string, k: string) => new RegExp(`^${k}:\\s+(.*)$`, "m").exec(s)?.[1];
  assert.equal(get(status, "NoNewPrivs"), "1");
  assert.equal(get(status, "Seccomp"), "2");
  assert.match(get(status, "Uid") ?? "", /^0\s/);
  // At most PID 1's capabilities. Opening /proc/1/fd/N needs ptrace read access to PID 1
  // (proc(5)): all of PID 1's capabilities, or CAP_SYS_PTRACE (then pidfd_getfd works
  // too). The sandbox drops CAP_SYS_MODULE and CAP_SYSLOG (ProtectKernelModules=,
  // ProtectKernelLogs=) where PID 1 has them (--privileged).
  const capAgent = BigInt(`0x${get(status, "CapEff")}`);
  const capPid1 = BigInt(`0x${get(pid1, "CapEff")}`);
  const CAP_SYS_PTRACE = 1n << 19n;
  assert.equal(capAgent & ~capPid1, 0n, "the agent has capabilities PID 1 lacks");
  assert.ok(
    capAgent === capPid1 || (capAgent & CAP_SYS_PTRACE) !== 0n,
    `agent CapEff ${capAgent.toString(16)} cannot open PID 1's fds (PID 1: ${
      capPid1.toString(16)
    })`,
  );
  for (const cap of [16n, 34n]) {
    assert.equal(capAgent & (1n << cap), 0n, `capability ${cap} not dropped`);
  }
  // A read-only root, /run/journalagent writable.
  const mounts = (await c.exec(["cat", `/proc/${pid}/mountinfo`])).stdout.split("\n");
  const rootMount = mounts.find((l) => l.split(" ")[4] === "/");
  assert.match(rootMount?.split(" ")[5] ?? "", /(^|,)ro(,|$)/, `root mount: ${rootMount}`);
  const runDir = mounts.find((l) => l.split(" ")[4] === "/run/journalagent");
  assert.match(runDir?.split(" ")[5] ?? "", /(^|,)rw(,|$)/, `/run/journalagent: ${runDir}`);
  const show = (await c.exec([
    "systemctl",
    "show",
    "-p",
    "RestrictAddressFamilies,ProtectSystem,SystemCallFilter",
    "journalagent",
  ])).stdout;
  assert.match(show, /^ProtectSystem=strict$/m);
  assert.match(show, /^RestrictAddressFamilies=AF_UNIX$/m);
  assert.match(show, /^SystemCallFilter=\S/m);
  // The agent still works sandboxed: a line written now arrives.
  const marker = `csd-sandbox-${Date.now()}`;
  await c.exec(["logger", marker]);
  await c.waitForLogs((l) => l.stdout.includes(marker), 10_000);
  const score = await c.exec(["systemd-analyze", "security", "--no-pager", "journalagent"]);
  const exposure = Number(
    /exposure level for journalagent\.service: ([\d.]+)/.exec(score.stdout)?.[1],
  );
  recordFigure({
    test: "security",
    scenario: "exposure",
    image: c.tag,
    flags: c.flags,
    exposure,
    capEff: capAgent.toString(16),
  });
  assert.ok(exposure <= 6, `systemd-analyze security: exposure ${exposure}`);
}

testEachImage("terminal control sequences in messages reach text formats escaped", {
  flags: ["minimal"],
  env: { JOURNALAGENT_OUTPUT: "cat" },
}, async (c) => {
  for (const format of ["cat", "short-iso", "logfmt"]) {
    if (format !== "cat") {
      await c.exec(["systemctl", "set-environment", `JOURNALAGENT_OUTPUT=${format}`]);
      await c.exec(["systemctl", "restart", "journalagent"]);
    }
    const marker = `csd-term-${format}-${Date.now()}`;
    // Through a service's stdout (the stream transport), as an application would.
    const r = await c.exec([
      "systemd-run",
      "--wait",
      "--quiet",
      "sh",
      "-c",
      `printf '%s \\033]0;pwned\\007 \\033[2J\\033[H \\033]52;c;eA==\\007 \\302\\233 31m \\010\\013\\014 end\\n' ${marker}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    // The message itself, not systemd's "Started run-...: sh -c printf ..." line.
    const own = (l: string) => l.includes(marker) && !l.includes("printf");
    const logs = await c.waitForLogs((l) => l.stdout.split("\n").some(own), 10_000);
    const bytes = logs.stdoutBytes;
    const text = logs.stdout;
    const line = text.split("\n").find(own);
    assert.ok(line !== undefined, `${format}: the message did not arrive`);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      assert.ok(
        b >= 0x20 || b === 0x0a || b === 0x09,
        `${format}: control byte 0x${b.toString(16)}`,
      );
    }
    assert.ok(!/[\u0080-\u009f]/.test(text), `${format}: a C1 control character`);
    assert.ok(line.includes("\\x1b]0;pwned\\x07"), `${format}: OSC not shown escaped: ${line}`);
  }
});

/** Container variables are not readable by non-root users. */
async function variablesNotReadable(c: Container): Promise<void> {
  // Sanity: the variable did reach PID 1 (passthrough on), so the checks below mean something.
  const pid1 = await c.exec(["cat", "/proc/1/environ"]);
  assert.ok(pid1.stdout.includes(SECRET), "APP_SECRET is not in PID 1's environment");
  const asNobody = await c.exec(["cat", "/proc/1/environ"], { user: "nobody" });
  assert.notEqual(asNobody.code, 0);
  assert.ok(!asNobody.stdout.includes(SECRET));
  const env = await c.exec(["systemctl", "show-environment"], { user: "nobody" });
  assert.ok(!env.stdout.includes(SECRET), "systemctl show-environment shows it");
  const files = await c.sh(
    `grep -rl '${SECRET}' /etc /run /var /tmp /dev/shm /home /root 2>/dev/null; true`,
  );
  assert.equal(files.stdout.trim(), "", "files holding the value");
  // A service of the admin's running as a non-root user, besides the image's own
  // (dbus-daemon runs as messagebus).
  const svc = await c.exec(["systemd-run", "--unit=sec-user", "-p", "User=nobody", "sleep", "600"]);
  assert.equal(svc.code, 0, svc.stderr);
  // Processes with the value running as a non-root uid. `docker exec` sessions get the
  // container's environment from Docker itself (parent PID 0): not ours, left out.
  const procs = await c.sh(`
    for p in /proc/[0-9]*; do
      grep -qa '${SECRET}' $p/environ 2>/dev/null || continue
      ppid=$(sed -n 's/^PPid:\\s*//p' $p/status); uid=$(sed -n 's/^Uid:\\s*\\([0-9]*\\).*/\\1/p' $p/status)
      [ "$ppid" = 0 ] && [ "\${p#/proc/}" != 1 ] && continue
      [ "$uid" != 0 ] && echo "\${p#/proc/} $(cat $p/comm) uid $uid"
    done; true`);
  assert.equal(procs.stdout.trim(), "", "non-root processes with APP_SECRET in their environment");
}

// One container per image and flag set for the three checks that need the same start
// (APP_SECRET given): the variables are checked first, before a daemon-reexec and an
// agent restart, the sandbox before that restart too.
testEachImageShared("security: the container's variables, the agent's sandbox, the kept fds", {
  env: { APP_SECRET: SECRET },
}, [
  ["container variables are not readable by non-root users", variablesNotReadable],
  ["the agent runs sandboxed with only the privileges it needs", agentSandboxed],
  [
    "the kept fds exist only in PID 1 and the agent; the preload only in PID 1",
    keptFdsOnlyInPid1AndAgent,
  ],
]);
