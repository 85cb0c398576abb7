/**
 * End-to-end tests of the interceptor (interceptor/interceptor.c): the copies of the
 * container's stdout and stderr it keeps in PID 1, through boot, daemon-reexec and
 * soft-reboot, and that it does nothing anywhere else.
 *
 * journalagent is stood in for by a transient service (`systemd-run`) that gets the
 * variables with PassEnvironment= and opens /proc/1/fd/N, as the agent does.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, delay, docker, testEachImage, testEachImageShared } from "./harness.ts";

/** Where the image installs the interceptor. */
const LIB = "/usr/lib/libjournalagent_interceptor.so";
/** O_CLOEXEC as /proc/PID/fdinfo/N shows it in `flags:` (octal). */
const O_CLOEXEC = 0o2000000;

let scripts = 0;

/**
 * Runs `script` with /bin/sh in a transient service that receives
 * SYSTEMD_STDOUT_FILENO and SYSTEMD_STDERR_FILENO from PID 1 (the stand-in for
 * journalagent). The script goes through a file: systemd would expand `${...}` in a
 * command line itself.
 *
 * @returns The script's stdout.
 */
async function runService(
  c: Container,
  script: string,
  properties: string[] = ["PassEnvironment=SYSTEMD_STDOUT_FILENO SYSTEMD_STDERR_FILENO"],
): Promise<string> {
  const path = `/run/csd-test-${++scripts}.sh`;
  const w = await c.exec(["sh", "-c", `cat > ${path}`], { stdin: script });
  assert.equal(w.code, 0, `writing ${path}: ${w.stderr}`);
  const r = await c.exec([
    "systemd-run",
    "--quiet",
    "--wait",
    "--pipe",
    ...properties.map((p) => `--property=${p}`),
    "/bin/sh",
    path,
  ]);
  assert.equal(r.code, 0, `service running ${path} failed: ${r.stderr}`);
  return r.stdout;
}

/** The kept fds [stdout, stderr] as a service of PID 1 sees them; undefined if unset. */
async function keptFds(c: Container): Promise<(number | undefined)[]> {
  const out = await runService(
    c,
    'echo "${SYSTEMD_STDOUT_FILENO:-unset} ${SYSTEMD_STDERR_FILENO:-unset}"\n',
  );
  return out.trim().split(" ").map((s) => {
    if (s === "unset") return undefined;
    assert.match(s, /^\d+$/, `a variable is not an fd number: "${out.trim()}"`);
    return Number(s);
  });
}

/** What PID 1's fd `fd` points at (readlink), and whether it is close-on-exec. */
async function pid1Fd(
  c: Container,
  fd: number,
): Promise<{ target: string; cloexec: boolean }> {
  const r = await c.sh(
    `readlink /proc/1/fd/${fd} && sed -n 's/^flags:\\t//p' /proc/1/fdinfo/${fd}`,
  );
  assert.equal(r.code, 0, `PID 1 has no fd ${fd}: ${r.stderr}`);
  const [target = "", flags = ""] = r.stdout.trim().split("\n");
  return { target, cloexec: (parseInt(flags, 8) & O_CLOEXEC) !== 0 };
}

/** The PIDs of every process in the container with an fd pointing at `target`. */
async function holders(c: Container, target: string): Promise<string[]> {
  const r = await c.sh(
    'for f in /proc/[0-9]*/fd/*; do t=$(readlink "$f" 2>/dev/null) && echo "$f $t"; done',
  );
  const pids = r.stdout.split("\n").filter((l) => l.endsWith(` ${target}`))
    .map((l) => l.split("/")[2] ?? "");
  return [...new Set(pids)].sort();
}

/** Splits logs into lines (a tty ends them with CR LF). */
function lines(s: string): string[] {
  return s.split(/\r?\n/);
}

/** How many lines of `s` are exactly `line`. */
function count(s: string, line: string): number {
  return lines(s).filter((l) => l === line).length;
}

/**
 * Has a fresh service write one line to each kept fd and checks that each arrives
 * exactly once, on the right stream of the container log.
 */
async function assertStreams(c: Container, marker: string): Promise<void> {
  const out = `${marker} to stdout`;
  const err = `${marker} to stderr`;
  await runService(
    c,
    `echo '${out}' >/proc/1/fd/$SYSTEMD_STDOUT_FILENO\n` +
      `echo '${err}' >/proc/1/fd/$SYSTEMD_STDERR_FILENO\n`,
  );
  const logs = await c.waitForLogs((l) => count(l.stdout, out) > 0 && count(l.stderr, err) > 0);
  assert.deepEqual(
    [
      count(logs.stdout, out),
      count(logs.stdout, err),
      count(logs.stderr, err),
      count(logs.stderr, out),
    ],
    [1, 0, 1, 0],
    "lines on [stdout: own, other; stderr: own, other]",
  );
}

/**
 * Checks the state after boot or a re-exec: both copies set, distinct pipes, close-on-exec,
 * held by PID 1 alone (a long-running service included in the scan).
 *
 * @returns The two fd targets.
 */
async function assertKept(c: Container): Promise<string[]> {
  const fds = await keptFds(c);
  assert.equal(fds.length, 2);
  const targets: string[] = [];
  for (const fd of fds) {
    assert.ok(fd !== undefined && fd >= 3, `kept fds: ${fds.join(", ")}`);
    const { target, cloexec } = await pid1Fd(c, fd);
    assert.match(target, /^pipe:\[\d+\]$/);
    assert.ok(cloexec, `PID 1's fd ${fd} is not close-on-exec`);
    targets.push(target);
  }
  assert.notEqual(targets[0], targets[1], "stdout and stderr are separate pipes");
  // journalagent takes its own copies from PID 1; nothing else may hold them.
  const agent = await c.exec(["systemctl", "show", "-P", "MainPID", "journalagent.service"]);
  const allowed = ["1", agent.stdout.trim()].filter((p) => p !== "0").sort();
  for (const target of targets) {
    assert.deepEqual(await holders(c, target), allowed, `processes holding ${target}`);
  }
  return targets;
}

/** The copies of stdout and stderr are kept in PID 1 only, and reach the right streams. */
async function keptInPid1Only(c: Container): Promise<void> {
  const sleeper = await c.exec(["systemd-run", "--quiet", "--unit=csd-sleeper", "sleep", "300"]);
  assert.equal(sleeper.code, 0, sleeper.stderr);
  await assertKept(c);
  await assertStreams(c, "boot");
}

/** The interceptor does nothing outside PID 1 (services, docker exec). */
async function nothingOutsidePid1(c: Container): Promise<void> {
  // What a process sees of the interceptor: whether it is mapped, the variables, its fds.
  const probe = "grep -q libjournalagent_interceptor /proc/$$/maps && echo mapped || echo no\n" +
    "env | grep -c '^SYSTEMD_STD'\n" +
    // The shell's own fds, listed by the shell itself: a pipeline would add its pipes.
    'for f in /proc/$$/fd/*; do printf "%s " "${f##*/}"; done\n';
  const plain = await runService(c, probe, []);
  const preloaded = await runService(c, probe, [`Environment=LD_PRELOAD=${LIB}`]);
  assert.equal(plain.split("\n")[0], "no", "not mapped in a plain service");
  assert.equal(preloaded.split("\n")[0], "mapped", "mapped with LD_PRELOAD");
  assert.deepEqual(preloaded.split("\n").slice(1), plain.split("\n").slice(1));
  assert.equal(plain.split("\n")[1], "0", "no SYSTEMD_STD* variable in a service");

  const execPlain = await c.sh(probe);
  const execPreloaded = await c.sh(probe, { env: { LD_PRELOAD: LIB } });
  assert.equal(execPreloaded.stdout.split("\n")[0], "mapped", "mapped in docker exec");
  assert.deepEqual(
    execPreloaded.stdout.split("\n").slice(1),
    execPlain.stdout.split("\n").slice(1),
  );
  // The exec hooks run outside PID 1 too: a preloaded shell execs a program as usual.
  const ran = await c.exec(["sh", "-c", "exec echo hooked"], { env: { LD_PRELOAD: LIB } });
  assert.deepEqual([ran.code, ran.stdout], [0, "hooked\n"]);
  const failed = await c.exec(["sh", "-c", "exec /nonexistent"], { env: { LD_PRELOAD: LIB } });
  assert.equal(failed.code, 127, failed.stderr);
}

/** The copies survive three daemon-reexec: same fds, same pipes, both streams. */
async function keptAcrossReexec(c: Container): Promise<void> {
  const fds = await keptFds(c);
  const before = await assertKept(c);
  for (let i = 0; i < 3; i++) {
    const r = await c.exec(["systemctl", "daemon-reexec"]);
    assert.equal(r.code, 0, `daemon-reexec ${i + 1}: ${r.stderr}`);
  }
  await c.waitRunning();
  assert.deepEqual(await keptFds(c), fds, "same fd numbers");
  assert.deepEqual(await assertKept(c), before, "same pipes");
  await assertStreams(c, "after daemon-reexec");
}

// One container per image and flag set for these three (they start the same way): the
// reads first, the three daemon-reexec last.
testEachImageShared("interceptor in PID 1 only, across daemon-reexec", {}, [
  ["interceptor keeps stdout and stderr in PID 1 only", keptInPid1Only],
  ["interceptor does nothing outside PID 1", nothingOutsidePid1],
  ["interceptor keeps the copies across three daemon-reexec", keptAcrossReexec],
]);

testEachImage(
  "interceptor keeps the copies across soft-reboot",
  { images: ["13", "sid"] },
  async (c) => {
    const before = await assertKept(c);
    const r = await c.exec(["systemctl", "soft-reboot"]);
    assert.equal(r.code, 0, r.stderr);
    const deadline = Date.now() + 30_000;
    while ((await c.exec(["systemctl", "show", "-P", "SoftRebootsCount"])).stdout.trim() !== "1") {
      assert.ok(Date.now() < deadline, "no soft-reboot within 30 s");
      await delay(100);
    }
    await c.waitRunning();
    assert.deepEqual(await assertKept(c), before, "same pipes");
    await assertStreams(c, "after soft-reboot");
  },
);

testEachImage("interceptor works when stdout is a tty", {
  flags: ["minimal"],
  tty: true,
}, async (c) => {
  const fds = await keptFds(c);
  for (const fd of fds) {
    assert.ok(fd !== undefined, `kept fds: ${fds.join(", ")}`);
    const { target, cloexec } = await pid1Fd(c, fd);
    assert.match(target, /^\/dev\/pts\/\d+$/);
    assert.ok(cloexec);
  }
  const line = "a line on the tty";
  await runService(c, `echo '${line}' >/proc/1/fd/$SYSTEMD_STDOUT_FILENO\n`);
  await c.waitForLogs((l) => count(l.stdout, line) === 1);
});

// The runtime gives no stdout: the Deno bootstrap's runtime reopens the closed fd 1 on
// /dev/null, which the interceptor does not keep either.
testEachImage("interceptor keeps only stderr when stdout is closed", {
  flags: ["minimal"],
  dockerArgs: ["--entrypoint", "/bin/sh"],
  args: ["-c", "exec /usr/bin/systemd-bootstrap >&-"],
}, async (c) => {
  const [out, err] = await keptFds(c);
  assert.equal(out, undefined, "SYSTEMD_STDOUT_FILENO is not set");
  assert.ok(err !== undefined && err >= 3);
  assert.match((await pid1Fd(c, err)).target, /^pipe:\[\d+\]$/);
  const line = "stderr alone";
  await runService(c, `echo '${line}' >/proc/1/fd/$SYSTEMD_STDERR_FILENO\n`);
  await c.waitForLogs((l) => count(l.stderr, line) === 1);
  // journalagent says so on stderr once, then forwards the journal there.
  const logs = await c.waitForLogs((l) => /Started /.test(l.stderr));
  assert.equal(
    count(
      logs.stderr,
      "journalagent: the container has no stdout (SYSTEMD_STDOUT_FILENO is not set): " +
        "forwarding every entry to stderr",
    ),
    1,
  );
  // Still so after a re-exec: fd 1 of the new instance (/dev/null) is not copied.
  assert.equal((await c.exec(["systemctl", "daemon-reexec"])).code, 0);
  await c.waitRunning();
  assert.deepEqual(await keptFds(c), [undefined, err]);
});

testEachImage("interceptor sets no variable for a closed fd", {
  flags: ["minimal"],
  waitRunning: false,
  // A shell as PID 1, unlike the bootstrap, leaves fd 1 closed when it execs.
  dockerArgs: ["--entrypoint", "/bin/sh"],
  args: [
    "-c",
    `LD_PRELOAD=${LIB} exec sh -c ` +
    `'echo "\${SYSTEMD_STDOUT_FILENO:-unset} \${SYSTEMD_STDERR_FILENO:-unset}" >&2' >&-`,
  ],
}, async (c) => {
  assert.equal(await c.waitExit(), 0);
  const logs = await c.logs();
  assert.deepEqual([logs.stdout, logs.stderr], ["", "unset 3\n"]);
});

testEachImage("interceptor keeps both when stdout and stderr are one pipe", {
  flags: ["minimal"],
  dockerArgs: ["--entrypoint", "/bin/sh"],
  args: ["-c", "exec /usr/bin/systemd-bootstrap 2>&1"],
}, async (c) => {
  const fds = await keptFds(c);
  const targets = [];
  for (const fd of fds) {
    assert.ok(fd !== undefined, `kept fds: ${fds.join(", ")}`);
    targets.push((await pid1Fd(c, fd)).target);
  }
  assert.notEqual(fds[0], fds[1], "two copies");
  assert.equal(targets[0], targets[1], "of one pipe");
  await runService(
    c,
    "echo one >/proc/1/fd/$SYSTEMD_STDOUT_FILENO\necho two >/proc/1/fd/$SYSTEMD_STDERR_FILENO\n",
  );
  await c.waitForLogs((l) => count(l.stdout, "one") === 1 && count(l.stdout, "two") === 1);
});

testEachImage("interceptor needs nothing newer than GLIBC_2.17", {
  flags: ["minimal"],
  waitRunning: false,
}, async (c) => {
  const dir = await Deno.makeTempDir({ prefix: "csd-interceptor-" });
  try {
    const so = `${dir}/lib.so`;
    const cp = await docker(["cp", `${c.name}:${LIB}`, so]);
    assert.equal(cp.code, 0, cp.stderr);
    let dump;
    try {
      dump = await new Deno.Command("objdump", { args: ["-T", so] }).output();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error("objdump not found: install binutils (apt-get install binutils)");
      }
      throw e;
    }
    assert.ok(dump.success, "objdump -T failed");
    const text = new TextDecoder().decode(dump.stdout);
    const versions = [...text.matchAll(/\(GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)/g)];
    assert.ok(versions.length > 0, `no GLIBC versions in:\n${text}`);
    const newer = versions.filter((m) => Number(m[1]) > 2 || Number(m[2]) > 17);
    assert.deepEqual(newer.map((m) => m[0]), [], "symbol versions newer than GLIBC_2.17");
    const libs = text.match(/\b[A-Z]+_[\d.]+\b/g)?.filter((v) => !v.startsWith("GLIBC_")) ?? [];
    assert.deepEqual(libs, [], "versions of other libraries");
    const exported = text.split("\n").filter((l) => /\s\.text\s/.test(l))
      .map((l) => l.trim().split(/\s+/).pop()).sort();
    assert.deepEqual(
      exported,
      ["close", "execle", "execv", "execve", "sigtimedwait"],
      "exported symbols",
    );
    // What it imports, the same on 12, 13 and sid: the fd copies and exec hooks need
    // fcntl ... unsetenv (close is its own hook, which makes the system call itself); the entrypoint stage blocks the stop signals with sigprocmask,
    // sigemptyset, sigaddset and __libc_current_sigrtmin (SIGRTMIN) after strcmp; the
    // sigtimedwait hook knows systemd-shutdown by program_invocation_short_name (listed
    // twice, as itself and as its alias __progname) and looks for SIGCHLD with sigismember.
    // Debian 11's toolchain lists `environ` a third time, as its alias _environ.
    const imported = text.split("\n").filter((l) => /\*UND\*/.test(l))
      .map((l) => l.trim().split(/\s+/).pop()).filter((s) => s !== "_environ").sort();
    assert.deepEqual(imported, [
      "_ITM_deregisterTMCloneTable",
      "_ITM_registerTMCloneTable",
      "__cxa_finalize",
      "__environ",
      "__errno_location",
      "__gmon_start__",
      "__libc_current_sigrtmin",
      "__progname",
      "environ",
      "fcntl",
      "getenv",
      "getpid",
      "program_invocation_short_name",
      "setenv",
      "sigaddset",
      "sigemptyset",
      "sigismember",
      "sigprocmask",
      "strcmp",
      "syscall",
      "unsetenv",
    ], "imported symbols");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
