/**
 * Fault injection under load: floods of sequence-numbered entries from several units
 * (tests/_flood.ts) while the agent is SIGKILLed, restarted, journald is restarted,
 * PID 1 re-executes (daemon-reexec, a systemd package reinstall), the container is
 * stopped mid-flood, journald rate-limits, and the container's log reader stalls. Every
 * entry journald stored must reach the container's log exactly once: the agent stages
 * each batch in a pipe kept in its fd store (agent/sink/delivery.ts), so a kill at any
 * moment neither loses nor repeats a line. The stalled-reader test kills the agent while
 * its batch waits to be moved into the full output pipe, and proves that the kill landed
 * between the batch's staging and its move (the restarted agent logs the staged bytes it
 * moved on).
 *
 * Flag set: `minimal` (the faults do not depend on privileges). Output format:
 * `short-iso` (the loop is the same for every format; short lines keep `docker logs` of
 * 100,000+ entries quick).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Container, delay, docker, FLAG_SETS, testEachImage, uniqueSuffix } from "./harness.ts";
import { dockerBinary, imageName, type ImageTag, testImageTags } from "./images.ts";
import {
  agentPid,
  describeLoss,
  floodSeqs,
  type FloodSpec,
  installFlood,
  journalSeqs,
  killAgent,
  rssAnonKiB,
  startFloods,
  sumTallies,
  type Tally,
  tally,
  waitFloods,
  waitForwarded,
} from "./_flood.ts";
import { recordFigure } from "./_figures.ts";
import { bytes } from "./_bad_input.ts";

/** Three paced floods and one burst: about 25,000 entries over about 3.5 s. */
function load(prefix: string): FloodSpec[] {
  return [
    ...[1, 2, 3].map((i) => ({ name: `${prefix}-${i}`, count: 5000, rate: 1500 })),
    { name: `${prefix}-b`, count: 10_000, size: 200 },
  ];
}

/**
 * Reads what journald stored for `specs` and what reached the log, until both are
 * stable (journald may still be storing the last datagrams when the writers exit).
 */
async function settle(c: Container, specs: FloodSpec[]): Promise<Tally[]> {
  const names = specs.map((s) => s.name);
  let stored = await journalSeqs((cmd) => c.exec(cmd), names);
  for (;;) {
    const seen = await waitForwarded(c, stored);
    const again = await journalSeqs((cmd) => c.exec(cmd), names);
    if (names.every((n) => again.get(n)!.length === stored.get(n)!.length)) {
      for (const n of names) {
        const loss = await describeLoss(c, n, stored.get(n)!, seen.get(n)!);
        if (loss) console.error(loss);
      }
      return names.map((n) => tally(stored.get(n)!, seen.get(n)!));
    }
    stored = again;
  }
}

/**
 * Runs floods with a fault alongside, records and returns the tally.
 *
 * @param fault Started together with the floods; resolves to extra figures.
 */
async function scenario(
  c: Container,
  name: string,
  specs: FloodSpec[],
  fault: () => Promise<Record<string, number>> = () => Promise.resolve({}),
  options: { allStored?: boolean } = {},
): Promise<Tally & Record<string, number>> {
  const t0 = performance.now();
  await startFloods(c, specs);
  const extra = await fault();
  await waitFloods(c, specs);
  const sent = specs.reduce((n, s) => n + s.count, 0);
  const t = { ...sumTallies(await settle(c, specs)), sent, ...extra };
  recordFigure({
    test: "faults",
    scenario: name,
    image: c.tag,
    flags: c.flags,
    ...t,
    ms: Math.round(performance.now() - t0),
  });
  // Without a rate limit journald stores every entry: a flood that did not run fails here.
  const limited = specs.some((s) => s.properties?.some((p) => p.startsWith("LogRateLimitBurst")));
  if (!limited && (options.allStored ?? true)) {
    assert.equal(t.stored, sent, `${name}: journald stored ${t.stored} of ${sent}`);
  }
  return t;
}

/**
 * Rebuilds the installed systemd package from its files into /tmp/systemd-repacked.deb,
 * as dpkg-repack(1) does: the files `dpkg-query -L` lists that exist (the slim images
 * leave out /usr/share/man and doc; the merged-/usr links such as /lib are left out, their
 * files packed under the link's name), the control fields less the status ones, the
 * conffiles and the maintainer scripts. Layout: deb(5), deb-control(5), deb-conffiles(5).
 */
const REPACK = `set -eu
d=$(mktemp -d)
mkdir "$d/DEBIAN"
dpkg-query -L systemd | sort -u | while read -r p; do
  if [ -L "$p" ] && [ -d "$p" ]; then continue; fi
  if [ -e "$p" ] || [ -L "$p" ]; then echo "\${p#/}"; fi
done >"$d.list"
tar -C / -cf - --no-recursion -T "$d.list" | tar -xf - -C "$d"
dpkg-query -s systemd |
  awk '/^[^ ]/ { skip = /^(Status|Conffiles|Config-Version):/ } !skip' >"$d/DEBIAN/control"
dpkg-query -W -f='\${Conffiles}\\n' systemd |
  awk 'NF >= 2 && $NF != "obsolete" { print $1 }' >"$d/DEBIAN/conffiles"
for s in preinst postinst prerm postrm triggers; do
  [ ! -e "/var/lib/dpkg/info/systemd.$s" ] || cp -p "/var/lib/dpkg/info/systemd.$s" "$d/DEBIAN/$s"
done
dpkg-deb -Znone --build "$d" /tmp/systemd-repacked.deb >/dev/null
rm -rf "$d" "$d.list"`;

/**
 * Kills the agent's main process with SIGKILL `times` times, each time right after it
 * saved its cursor (the cursor file changed; at most about 2 s of waiting for that), so
 * that the kill tends to land while the batch just saved is still being moved on.
 *
 * @returns The kills done.
 */
async function killAgentMidBatch(c: Container, times: number): Promise<number> {
  const r = await c.sh(
    `last=0; for i in $(seq ${times}); do ` +
      // The restarted agent, not the one just killed (MainPID is 0 while it restarts).
      `n=0; while :; do p=$(systemctl show -p MainPID --value journalagent); ` +
      `[ "$p" -gt 1 ] && [ "$p" != "$last" ] && break; n=$((n+1)); [ $n -gt 500 ] && break; ` +
      `sleep 0.01; done; ` +
      `before=$(head -n 1 /run/journalagent/cursor 2>/dev/null); n=0; ` +
      `while [ "$(head -n 1 /run/journalagent/cursor 2>/dev/null)" = "$before" ] && ` +
      `[ $n -lt 1000 ]; do n=$((n+1)); done; ` +
      `if [ "$p" -gt 1 ] && kill -9 "$p"; then echo killed; last=$p; fi; done`,
  );
  return r.stdout.split("\n").filter((l) => l === "killed").length;
}

/**
 * The agent's start lines since the boot that moved on or dropped staged bytes: each is
 * a kill that landed between a batch's staging and its move.
 */
async function stagedRecoveries(c: Container): Promise<number> {
  const r = await c.exec(["journalctl", "-b", "--no-pager", "-o", "cat", "-u", "journalagent"]);
  return r.stdout.split("\n").filter((l) =>
    /staged bytes (moved on|of an unsaved batch dropped)/.test(l)
  ).length;
}

/**
 * Kills the agent's main process with SIGKILL `times` times, each time `delayS` after a
 * new main process became active (started, READY=1).
 *
 * @returns The kills done.
 */
async function killAgentAfterStart(c: Container, times: number, delayS: number) {
  const r = await c.sh(
    `last=0; for i in $(seq ${times}); do n=0; while :; do ` +
      `p=$(systemctl show -p MainPID --value journalagent); ` +
      `s=$(systemctl show -p ActiveState --value journalagent); ` +
      `[ "$p" -gt 1 ] && [ "$p" != "$last" ] && [ "$s" = active ] && break; ` +
      `n=$((n+1)); [ $n -gt 1000 ] && break; sleep 0.01; done; sleep ${delayS}; ` +
      `if [ "$p" -gt 1 ] && kill -9 "$p"; then echo killed; last=$p; fi; done`,
  );
  return r.stdout.split("\n").filter((l) => l === "killed").length;
}

async function nRestarts(c: Container): Promise<number> {
  const r = await c.exec(["systemctl", "show", "-p", "NRestarts", "--value", "journalagent"]);
  return Number(r.stdout.trim());
}

/** Lines of the container's stdout matching `re`. */
async function countLogLines(c: Container, re: RegExp): Promise<number> {
  return (await c.logs()).stdout.split("\n").filter((l) => re.test(l)).length;
}

/** PID 1's "Reexecuting" messages: in the journal, and in the container's log. */
async function reexecCounts(c: Container): Promise<{ journal: number; log: number }> {
  const j = await c.exec(["journalctl", "-b", "--no-pager", "-o", "cat", "_PID=1"]);
  return {
    journal: j.stdout.split("\n").filter((l) => l.startsWith("Reexecuting")).length,
    log: await countLogLines(c, /systemd\[1\]: Reexecuting/),
  };
}

testEachImage("journalagent loses nothing under faults", {
  flags: ["minimal"],
  env: { JOURNALAGENT_OUTPUT: "short-iso" },
  deadlineMs: 600_000,
}, async (c) => {
  await installFlood(c);
  const failures: string[] = [];
  const expect = (what: string, ok: boolean, detail: unknown) => {
    if (!ok) failures.push(`${what}: ${JSON.stringify(detail)}`);
  };

  // 0. The first start in the boot began at the boot's first entry.
  const first = await c.sh("journalctl -b --no-pager -o cat | head -n 1");
  const firstLog = (await c.logs()).stdout.split("\n")[0] ?? "";
  expect("boot-start", firstLog.endsWith(`: ${first.stdout.split("\n")[0]}`), {
    firstLog,
    firstEntry: first.stdout.split("\n")[0],
  });

  // 1. SIGKILL, repeatedly, each right after the agent saved its cursor, while entries
  //    are in flight (about 7 s of paced floods and a burst).
  const restarts0 = await nRestarts(c);
  const recoveries0 = await stagedRecoveries(c);
  let kills = 0;
  const sigkillLoad = [
    ...[1, 2, 3].map((i) => ({ name: `kill-${i}`, count: 10_000, rate: 1400 })),
    { name: "kill-b", count: 10_000, size: 200 },
  ];
  const k = await scenario(c, "sigkill", sigkillLoad, async () => {
    kills = await killAgentMidBatch(c, 10);
    return { kills };
  });
  const restarts = (await nRestarts(c)) - restarts0;
  // Kills between a batch's staging and its move are rare here (the output pipe has room,
  // so a move takes microseconds): the stalled-reader test below makes them certain.
  k.stagedRecoveries = (await stagedRecoveries(c)) - recoveries0;
  expect("sigkill", kills >= 8 && restarts === kills, { kills, restarts });
  expect("sigkill", k.lost === 0 && k.duplicated === 0 && k.unknown === 0, k);
  // The staging pipes came back from the fd store after the kills.
  const env = await c.sh(
    "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value journalagent)/environ",
  );
  expect(
    "sigkill: staging pipes passed back",
    /^LISTEN_FDNAMES=(stage-std(out|err)-[01]:?){4}$/m.test(env.stdout),
    env.stdout.split("\n").filter((l) => l.startsWith("LISTEN_")),
  );

  // 2. systemctl restart journalagent: a clean stop drains, nothing twice.
  const r = await scenario(c, "restart-agent", load("restart"), async () => {
    for (let i = 0; i < 3; i++) {
      await delay(600);
      const x = await c.exec(["systemctl", "restart", "journalagent"]);
      assert.equal(x.code, 0, x.stderr);
    }
    return { restarts: 3 };
  });
  expect("restart-agent", r.lost === 0 && r.duplicated === 0 && r.unknown === 0, r);

  // 3. systemctl restart systemd-journald.
  const j = await scenario(c, "restart-journald", load("journald"), async () => {
    for (let i = 0; i < 2; i++) {
      await delay(900);
      const x = await c.exec(["systemctl", "restart", "systemd-journald"]);
      assert.equal(x.code, 0, x.stderr);
    }
    return { journaldRestarts: 2 };
  });
  expect("restart-journald", j.lost === 0 && j.duplicated === 0 && j.unknown === 0, j);

  // 4. daemon-reexec three times, and one agent kill between (it must re-take the fds
  //    from a re-executed PID 1).
  const reexec0 = await reexecCounts(c);
  const x = await scenario(c, "daemon-reexec", load("reexec"), async () => {
    for (let i = 0; i < 3; i++) {
      await delay(500);
      const e = await c.exec(["systemctl", "daemon-reexec"]);
      assert.equal(e.code, 0, e.stderr);
      if (i === 1) await killAgent(c, 1, 0.1);
    }
    return { reexecs: 3, kills: 1 };
  });
  // PID 1 logs "Reexecuting" for each, but waits at most 10 ms for journald's socket
  // (SO_SNDTIMEO in systemd's log.c): during the flood its own messages can be dropped
  // (252 stored one for three in CI; 262 was once seen to log two). The three `systemctl daemon-reexec` succeeded (asserted above); each "Reexecuting"
  // journald stored must be in the log.
  const reexec1 = await reexecCounts(c);
  x.reexecsStored = reexec1.journal - reexec0.journal;
  x.reexecsSeen = reexec1.log - reexec0.log;
  expect("daemon-reexec", x.reexecsStored >= 1 && x.reexecsSeen === x.reexecsStored, x);
  expect("daemon-reexec", x.lost === 0 && x.duplicated === 0 && x.unknown === 0, x);

  // 5. A systemd package reinstall: dpkg replaces PID 1's files, the postinst re-executes
  //    PID 1. The installed package is rebuilt from its files (REPACK), so that the test
  //    needs no network and no newer package than the image's.
  const repack = await c.sh(REPACK, { timeoutMs: 60_000 });
  assert.equal(repack.code, 0, `repacking systemd failed: ${repack.stderr}`);
  const reinstall0 = await reexecCounts(c);
  const p = await scenario(c, "package-reinstall", load("reinstall"), async () => {
    const t0 = performance.now();
    const i = await c.sh(
      "DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/systemd-repacked.deb >/tmp/dpkg.log 2>&1 " +
        "|| { tail -20 /tmp/dpkg.log; exit 1; }",
      { timeoutMs: 180_000 },
    );
    assert.equal(i.code, 0, `dpkg -i of the repacked systemd failed: ${i.stdout}`);
    return { reinstallMs: Math.round(performance.now() - t0) };
  });
  const reinstall1 = await reexecCounts(c);
  p.reexecsStored = reinstall1.journal - reinstall0.journal;
  p.reexecsSeen = reinstall1.log - reinstall0.log;
  // dpkg replaced PID 1's binary: until PID 1 re-executes, /proc/1/exe names the old,
  // deleted file. Its one "Reexecuting" message may be dropped during the flood (see
  // daemon-reexec above; 252 stored none once in CI), so the re-execution is proven here.
  const exe = (await c.exec(["readlink", "/proc/1/exe"])).stdout.trim();
  p.pid1ExeDeleted = exe === "" || exe.endsWith("(deleted)") ? 1 : 0;
  expect(
    "package-reinstall",
    p.pid1ExeDeleted === 0 && p.reexecsSeen === p.reexecsStored,
    p,
  );
  expect("package-reinstall", p.lost === 0 && p.duplicated === 0 && p.unknown === 0, p);

  // 6. journald's rate limit: what it dropped is reported by journald's own
  //    "Suppressed N messages" entry, which must be forwarded; the rest arrives.
  const rl: FloodSpec = {
    name: "ratelimit",
    count: 4800,
    rate: 2000,
    properties: ["LogRateLimitIntervalSec=1s", "LogRateLimitBurst=100"],
  };
  const q = await scenario(c, "rate-limit", [rl]);
  const suppressed = await c.waitForLogs(
    (l) => /Suppressed \d+ messages from flood-ratelimit\.service/.test(l.stdout),
    10_000,
  ).then((l) =>
    [...l.stdout.matchAll(/Suppressed (\d+) messages from flood-ratelimit\.service/g)]
      .reduce((n, m) => n + Number(m[1]), 0)
  ).catch(() => 0);
  q.suppressed = suppressed;
  recordFigure({ test: "faults", scenario: "rate-limit-suppressed", image: c.tag, suppressed });
  expect("rate-limit", q.stored < rl.count && suppressed > 0, q);
  expect("rate-limit", q.stored + suppressed <= rl.count, q);
  expect("rate-limit", q.lost === 0 && q.duplicated === 0 && q.unknown === 0, q);

  assert.deepEqual(failures, []);
});

/**
 * The container's memory cgroup OOM-kill count, read on the host (cgroup v1 memory
 * controller, or cgroup v2 memory.events), or -1 if neither exists.
 */
async function oomKills(c: Container): Promise<number> {
  const id = (await docker(["inspect", "-f", "{{.Id}}", c.name])).stdout.trim();
  for (
    const [path, re] of [
      [`/sys/fs/cgroup/memory/docker/${id}/memory.oom_control`, /^oom_kill (\d+)$/m],
      [`/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.events`, /^oom_kill (\d+)$/m],
    ] as const
  ) {
    try {
      return Number(re.exec(await Deno.readTextFile(path))?.[1] ?? -1);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return -1;
}

/**
 * The agent OOM-killed by the kernel. A memory limit on the unit (MemoryMax=, which
 * units/journalagent.service sets) cannot be enforced on this host: cgroups are hybrid,
 * the v1 memory controller is not delegated into the container and the private cgroup2
 * has no controllers. So the limit is the container's (`docker run --memory 400m`), the
 * agent is made the OOM killer's first choice (OOMScoreAdjust=1000 in a drop-in), and
 * a process allocating 600 MB runs during the flood: the kernel kills the agent (and
 * then the allocator); the container cgroup's oom_kill counter proves it.
 */
testEachImage("journalagent loses nothing when OOM-killed", {
  flags: ["minimal"],
  env: { JOURNALAGENT_OUTPUT: "short-iso" },
  dockerArgs: ["--memory", "400m"],
}, async (c) => {
  await installFlood(c);
  const dropIn = await c.sh(
    "mkdir -p /run/systemd/system/journalagent.service.d && " +
      "printf '[Service]\\nOOMScoreAdjust=1000\\n' > /run/systemd/system/journalagent.service.d/oom.conf && " +
      "systemctl daemon-reload && systemctl restart journalagent && " +
      "cat /proc/$(systemctl show -p MainPID --value journalagent)/oom_score_adj",
  );
  assert.equal(dropIn.stdout.trim(), "1000", dropIn.stderr);
  const oom0 = await oomKills(c);
  const restarts0 = await nRestarts(c);
  const t = await scenario(c, "oom-kill", load("oom"), async () => {
    const hog = await c.exec([
      "/usr/lib/containering-systemd/deno",
      "eval",
      "--no-config",
      "const a = []; for (let i = 0; i < 30; i++) { const b = new Uint8Array(20 << 20); " +
      "b.fill(1); a.push(b); await new Promise((r) => setTimeout(r, 50)); }",
    ]);
    return { hogExit: hog.code };
    // Under memory pressure the kernel may also kill a flood writer before it is done
    // (seen once on 262): what journald stored is still what must arrive.
  }, { allStored: false });
  const kills = (await nRestarts(c)) - restarts0;
  const oom = oom0 < 0 ? -1 : (await oomKills(c)) - oom0;
  recordFigure({
    test: "faults",
    scenario: "oom-kill-count",
    image: c.tag,
    agentKills: kills,
    oomKills: oom,
  });
  assert.ok(t.stored >= 10_000, `only ${t.stored} entries stored`);
  assert.ok(kills >= 1, "the agent was not killed");
  if (oom0 >= 0) assert.ok(oom >= 1, "the kernel recorded no OOM kill");
  assert.deepEqual({ lost: t.lost, duplicated: t.duplicated, unknown: t.unknown }, {
    lost: 0,
    duplicated: 0,
    unknown: 0,
  });
});

testEachImage("docker stop mid-flood: every entry journald stored is in the log", {
  flags: ["minimal"],
  env: { JOURNALAGENT_OUTPUT: "short-iso" },
}, async (c) => {
  await installFlood(c);
  // The image keeps the journal in /run (Storage=volatile), which dies with the
  // container: a test-only drop-in keeps it in /var/log/journal to read it afterwards.
  const persist = await c.sh(
    "mkdir -p /etc/systemd/journald.conf.d /var/log/journal && " +
      "printf '[Journal]\\nStorage=persistent\\n' > /etc/systemd/journald.conf.d/99-test.conf && " +
      "systemctl restart systemd-journald && journalctl --flush && " +
      "journalctl --header | grep -c '/var/log/journal/'",
  );
  assert.ok(
    Number(persist.stdout.trim()) >= 1,
    `journal not persistent: ${persist.stdout} ${persist.stderr}`,
  );
  const specs = load("stop");
  const names = specs.map((s) => s.name);
  await startFloods(c, specs);
  await delay(1500);
  const stop = await c.stop();
  assert.equal(stop.exitCode, 0);
  // Read the stopped container's journal files in a fresh container of the same image.
  const dir = await Deno.makeTempDir({ prefix: "csd-stop-journal-" });
  try {
    const cp = await docker(["cp", `${c.name}:/var/log/journal`, dir]);
    assert.equal(cp.code, 0, cp.stderr);
    const exec = (cmd: string[]) =>
      docker([
        "run",
        "--rm",
        "--label",
        "containering-systemd.test=1",
        "-v",
        `${dir}/journal:/j:ro`,
        "--entrypoint",
        cmd[0]!,
        imageName(c.tag),
        ...cmd.slice(1),
      ]);
    const stored = await journalSeqs(exec, names, "/j");
    const seen = floodSeqs((await c.logs()).stdout);
    const tallies = names.map((n) => tally(stored.get(n)!, seen.get(`flood-${n}`) ?? []));
    const t = sumTallies(tallies);
    recordFigure({
      test: "faults",
      scenario: "docker-stop",
      image: c.tag,
      flags: c.flags,
      ...t,
      stopMs: Math.round(stop.ms),
    });
    assert.ok(t.stored > 0, "the floods stored nothing before the stop");
    assert.deepEqual({ lost: t.lost, duplicated: t.duplicated, unknown: t.unknown }, {
      lost: 0,
      duplicated: 0,
      unknown: 0,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The container's log reader stalls: `docker run` attached, its stdout a pipe this test
 * reads from, and stops reading. dockerd copies the container's output to attached
 * clients as it reads it, so the stall reaches the container's stdout pipe and the
 * agent's write blocks. Its memory must stay bounded. Then the agent is SIGKILLed twice
 * while a staged batch waits for room in the full pipe (the second time while the
 * restarted agent moves that batch's rest on): after the stall everything arrives once,
 * and the restarted agents' start lines prove the kills landed between a batch's staging
 * and its move.
 */
for (const tag of selectedImages()) {
  Deno.test({
    name:
      `journalagent blocks without growing while the log reader stalls [debian-${tag}, minimal]`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => slowReader(tag),
  });
}

function selectedImages(): ImageTag[] {
  const flags = Deno.env.get("CSD_TEST_FLAGS")?.split(",").map((s) => s.trim());
  if (flags && !flags.includes("minimal")) return [];
  return testImageTags();
}

async function slowReader(tag: ImageTag): Promise<void> {
  const name = `csd-test-slow-${tag}-${uniqueSuffix()}`;
  const child = new Deno.Command(dockerBinary(), {
    args: [
      "run",
      "--name",
      name,
      "--label",
      "containering-systemd.test=1",
      "-a",
      "stdout",
      "-a",
      "stderr",
      ...FLAG_SETS.minimal,
      "-e",
      "JOURNALAGENT_OUTPUT=short-iso",
      imageName(tag),
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  await using c = Container.adopt(name, tag, "minimal", 240_000);
  try {
    await waitStarted(name);
    await c.waitRunning();
    await installFlood(c);
    // Not reading from here on: the pipe, dockerd's copy, then the container's pipe fill.
    const specs = [1, 2].map((i) => ({ name: `slow-${i}`, count: 20_000, size: 400 }));
    await startFloods(c, specs);
    await waitFloods(c, specs);
    const samples: number[] = [];
    let pid = 0;
    for (let i = 0; i < 10; i++) {
      await delay(500);
      pid = await agentPid(c);
      samples.push(await rssAnonKiB(c, pid));
    }
    const wchan = (await c.exec(["cat", `/proc/${pid}/wchan`])).stdout.trim();
    const duringStall = floodSeqs((await c.logs()).stdout);
    const seenDuring = [...duringStall.values()].reduce((n, s) => n + s.length, 0);
    const recoveries0 = await stagedRecoveries(c);
    const stallKills = await killAgentAfterStart(c, 2, 0.5);
    // Read again: the agent catches up.
    const chunks: Uint8Array[] = [];
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        chunks.push(value);
      }
    })();
    const stored = await journalSeqs((cmd) => c.exec(cmd), specs.map((s) => s.name));
    const seen = await waitForwarded(c, stored, 120_000);
    const t = sumTallies(specs.map((s) => tally(stored.get(s.name)!, seen.get(s.name)!)));
    const recoveries = (await stagedRecoveries(c)) - recoveries0;
    const rssMax = Math.max(...samples);
    const rssGrowth = samples.at(-1)! - samples[0]!;
    recordFigure({
      test: "faults",
      scenario: "slow-reader",
      image: tag,
      flags: "minimal",
      ...t,
      seenDuringStall: seenDuring,
      rssAnonMaxKiB: rssMax,
      rssAnonGrowthKiB: rssGrowth,
      wchan,
      stallKills,
      stagedRecoveries: recoveries,
    });
    assert.equal(stallKills, 2, "kills during the stall");
    assert.ok(recoveries >= 1, "no kill landed between a batch's staging and its move");
    // The stall really held the agent back (the entries are ~0.5 KB, 40,000 of them).
    assert.ok(seenDuring < t.stored / 2, `only ${seenDuring} of ${t.stored} should pass a stall`);
    assert.ok(rssMax < 100 * 1024, `agent RssAnon ${rssMax} KiB during the stall`);
    assert.ok(rssGrowth < 8 * 1024, `agent RssAnon grew by ${rssGrowth} KiB during the stall`);
    assert.deepEqual({ lost: t.lost, duplicated: t.duplicated, unknown: t.unknown }, {
      lost: 0,
      duplicated: 0,
      unknown: 0,
    });
    // The attached stream got the same lines as the log.
    await c.stop();
    await pump;
    const attached = floodSeqs(new TextDecoder().decode(bytes(...chunks)));
    for (const s of specs) {
      assert.equal(new Set(attached.get(`flood-${s.name}`)).size, stored.get(s.name)!.length);
    }
  } catch (e) {
    await c.printLogs();
    throw e;
  } finally {
    await c.remove();
    await reader.cancel().catch(() => {});
    await child.status;
  }
}

/** Waits until `docker run` has started the container. */
async function waitStarted(name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await docker(["inspect", "-f", "{{.State.Running}}", name])).stdout.trim() !== "true") {
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await delay(100);
  }
}
