/**
 * End-to-end tests of systemd-bootstrap: how PID 1 starts, the checks before exec, and
 * the container's environment reaching services.
 */
import assert from "node:assert/strict";
import { Container, delay, testEachImage } from "./harness.ts";
import { type ImageTag, testImageTags } from "./images.ts";
import { hasAgent, MINIMAL, runToExit } from "./bootstrap_helpers.ts";

const selectedImages = (): ImageTag[] => {
  return testImageTags();
};

/**
 * Clears the bits of signals 32 and 33 in a `SigCgt:` line: glibc's own SIGCANCEL and
 * SIGSETXID handlers, which it installs lazily (on the first pthread_cancel(3), or a
 * set*id(2) call while several threads run), so they depend on timing, not on how PID 1
 * was started.
 */
function withoutGlibcSignals(lines: string): string {
  return lines.replace(/^(SigCgt:\s*)([0-9a-f]+)$/m, (_, head: string, hex: string) => {
    const glibc = (1n << 31n) | (1n << 32n);
    return head + (BigInt(`0x${hex}`) & ~glibc).toString(16).padStart(hex.length, "0");
  });
}

/**
 * /proc/1/status's signal lines and /proc/1/limits of a container, once two readings
 * 100 ms apart agree: systemd blocks every signal for a moment around each fork, so a
 * single reading can catch that instead of its steady state.
 */
async function pid1State(c: Container): Promise<{ signals: string; limits: string }> {
  let last = "";
  for (let i = 0; i < 20; i++) {
    const r = await c.sh(
      "grep -E '^Sig(Blk|Ign|Cgt):' /proc/1/status; echo ---; cat /proc/1/limits",
    );
    if (r.stdout === last) break;
    last = r.stdout;
    await delay(100);
  }
  const [signals = "", limits = ""] = last.split("---\n");
  return { signals: withoutGlibcSignals(signals), limits };
}

const baselines = new Map<ImageTag, Promise<{ signals: string; limits: string }>>();

/**
 * PID 1's state when the image's systemd is started without the bootstrap (by sh, after
 * the same private cgroup2 mount, which systemd 262 needs on this host).
 */
function plainSystemd(tag: ImageTag): Promise<{ signals: string; limits: string }> {
  let p = baselines.get(tag);
  if (!p) {
    p = (async () => {
      await using c = await Container.start(tag, {
        flags: "minimal",
        // Without the interceptor journalagent.service fails: "degraded" is expected.
        acceptDegraded: true,
        dockerArgs: ["--entrypoint", "/bin/sh"],
        args: [
          "-c",
          "umount -R /sys/fs/cgroup && mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup " +
          "&& exec /lib/systemd/systemd",
        ],
      });
      return await pid1State(c);
    })();
    baselines.set(tag, p);
  }
  return p;
}

testEachImage(
  "bootstrap execs systemd with plain systemd's signal state, its arguments, no Deno left",
  { args: ["--log-level=debug"] },
  async (c) => {
    const state = await pid1State(c);
    const plain = await plainSystemd(c.tag);
    assert.equal(state.signals, plain.signals, "SigBlk/SigIgn/SigCgt of PID 1");
    assert.equal(state.limits, plain.limits, "/proc/1/limits");

    const cmdline = await c.exec(["cat", "/proc/1/cmdline"]);
    assert.deepEqual(
      cmdline.stdout.split("\0").filter(Boolean).slice(1),
      ["--show-status=no", "--log-level=debug"],
    );
    const level = await c.exec(["systemctl", "show", "-p", "LogLevel", "--value"]);
    assert.equal(level.stdout.trim(), "debug");

    const environ = await c.exec(["cat", "/proc/1/environ"]);
    const env = Object.fromEntries(
      environ.stdout.split("\0").filter(Boolean).map((kv) => [
        kv.slice(0, kv.indexOf("=")),
        kv.slice(kv.indexOf("=") + 1),
      ]),
    );
    assert.equal(env.LD_PRELOAD, "/usr/lib/libjournalagent_interceptor.so");
    // The interceptor's entrypoint stage (systemd-bootstrap) ends at systemd's exec.
    assert.equal(env.CSD_INTERCEPTOR_STAGE, undefined);
    assert.equal(env.PATH, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    assert.deepEqual(Object.keys(env).filter((k) => k.startsWith("DENO")), []);

    const fds = await c.sh('for f in /proc/1/fd/*; do readlink "$f"; done');
    assert.deepEqual(
      fds.stdout.split("\n").filter((l) => /deno|containering-systemd/.test(l)),
      [],
      "PID 1 holds no fd of the Deno runtime",
    );
  },
);

/** Installs the image's own units `csd-env-root` and `csd-env-nobody` and starts them. */
async function startEnvUnits(c: Container): Promise<{ root: string; nobody: string }> {
  const units = await c.sh(`
    printf '[Service]\\nType=exec\\nExecStart=/bin/sleep 600\\n' >/etc/systemd/system/csd-env-root.service
    printf '[Service]\\nType=exec\\nExecStart=/bin/sleep 600\\nUser=nobody\\n' \\
      >/etc/systemd/system/csd-env-nobody.service
    systemctl daemon-reload && systemctl start csd-env-root csd-env-nobody
    systemctl show -p MainPID --value csd-env-root csd-env-nobody`);
  assert.equal(units.code, 0, units.stderr);
  const [root = "", nobody = ""] = units.stdout.split("\n").filter(Boolean);
  return { root, nobody };
}

/** The environment of process `pid` in the container, read as root. */
async function environOf(c: Container, pid: string): Promise<string[]> {
  const r = await c.exec(["cat", `/proc/${pid}/environ`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\0");
}

testEachImage(
  "docker run -e reaches the image's own root services, no non-root process, no file",
  { env: { APP_MODE: "from docker run -e", APP_QUOTED: `a "b" 'c' $d \\e` } },
  async (c) => {
    const pids = await startEnvUnits(c);
    const root = await environOf(c, pids.root);
    assert.ok(root.includes("APP_MODE=from docker run -e"), root.join(" "));
    assert.ok(root.includes(`APP_QUOTED=a "b" 'c' $d \\e`), root.join(" "));
    const leaked = root.filter((l) => /^(LD_PRELOAD|CSD_|DENO_|HOSTNAME=|container=)/.test(l));
    assert.deepEqual(leaked, []);
    // Not to a unit with User=, not to a transient unit, not to dbus-daemon (which
    // drops to its own user by itself), nor to any other non-root process.
    assert.ok(!(await environOf(c, pids.nobody)).some((l) => l.startsWith("APP_MODE=")));
    const transient = await c.exec([
      "systemd-run",
      "--wait",
      "--pipe",
      "--quiet",
      "-p",
      "User=nobody",
      "/usr/bin/env",
    ]);
    assert.equal(transient.code, 0, transient.stderr);
    assert.doesNotMatch(transient.stdout, /^APP_MODE=/m);
    const nonRoot = await c.sh(`
      for p in /proc/[0-9]*; do
        grep -qa 'from docker run -e' $p/environ 2>/dev/null || continue
        ppid=$(sed -n 's/^PPid:\\s*//p' $p/status)
        uid=$(sed -n 's/^Uid:\\s*\\([0-9]*\\).*/\\1/p' $p/status)
        [ "$ppid" = 0 ] && continue # docker exec: Docker gives it the variables itself
        [ "$uid" != 0 ] && echo "\${p#/proc/} $(cat $p/comm) uid $uid"
      done; true`);
    assert.equal(nonRoot.stdout.trim(), "", "non-root processes with the value");

    // Values are in no file and not in the manager's environment, which any user may read.
    const shown = await c.exec(["systemctl", "show-environment"], { user: "nobody" });
    assert.doesNotMatch(shown.stdout, /APP_MODE/);
    const files = await c.sh("grep -rl 'from docker run' /run /etc /var /tmp || true");
    assert.equal(files.stdout, "");
    const pid1 = await c.exec(["cat", "/proc/1/environ"], { user: "nobody" });
    assert.notEqual(pid1.code, 0, "nobody cannot read PID 1's environment");
  },
);

testEachImage(
  "CSD_PASS_ENVIRONMENT=no keeps the container's environment from services",
  { flags: ["minimal"], env: { APP_MODE: "x", CSD_PASS_ENVIRONMENT: "no" } },
  async (c) => {
    const pids = await startEnvUnits(c);
    assert.ok(!(await environOf(c, pids.root)).some((l) => l.startsWith("APP_MODE=")));
  },
);

/** A misconfiguration and the one line the bootstrap must answer it with. */
interface BadStart {
  what: string;
  flags: string[];
  code: number;
  line: RegExp;
  /** Only where the image has the agent (its settings are checked by its parser). */
  needsAgent?: boolean;
}

const BAD_STARTS: BadStart[] = [
  {
    what: "not PID 1 (docker run --init)",
    flags: ["--init", ...MINIMAL],
    code: 1,
    line:
      /^systemd-bootstrap: not PID 1 \(running as PID \d+\)[^:]*: .*drop --init from docker run/,
  },
  {
    what: "no /run and no CAP_SYS_ADMIN",
    flags: ["--cgroupns=private"],
    code: 1,
    line:
      /^systemd-bootstrap: \/run is not a mount and systemd cannot mount a tmpfs there without CAP_SYS_ADMIN: run with --tmpfs \/run --tmpfs \/run\/lock$/,
  },
  {
    what: "cgroups not writable (default capabilities)",
    flags: ["--cgroupns=private", "--tmpfs", "/run", "--tmpfs", "/run/lock"],
    code: 1,
    line:
      /^systemd-bootstrap: [^:]*cgroup[^:]*: run with --cap-add SYS_ADMIN --cgroupns=private \(or --privileged\)$/,
  },
  {
    what: "systemd missing",
    flags: [...MINIMAL, "--tmpfs", "/usr/lib/systemd"],
    code: 1,
    line:
      /^systemd-bootstrap: systemd not found \(tried \/usr\/lib\/systemd\/systemd, \/lib\/systemd\/systemd\): install it in the image/,
  },
  {
    what: "invalid CSD_MAIN_UNIT",
    flags: [...MINIMAL, "-e", "CSD_MAIN_UNIT=a/b"],
    code: 78,
    line: /^systemd-bootstrap: invalid CSD_MAIN_UNIT "a\/b": give a unit name such as app\.service/,
  },
  {
    what: "invalid CSD_PASS_ENVIRONMENT",
    flags: [...MINIMAL, "-e", "CSD_PASS_ENVIRONMENT=maybe"],
    code: 78,
    line:
      /^systemd-bootstrap: invalid CSD_PASS_ENVIRONMENT "maybe": use -e CSD_PASS_ENVIRONMENT=yes or -e CSD_PASS_ENVIRONMENT=no$/,
  },
  {
    what: "invalid JOURNALAGENT_OUTPUT",
    flags: [...MINIMAL, "-e", "JOURNALAGENT_OUTPUT=bogus"],
    code: 78,
    line:
      /^systemd-bootstrap: invalid JOURNALAGENT_OUTPUT "bogus": expected [^:]+: fix or remove -e JOURNALAGENT_OUTPUT$/,
    needsAgent: true,
  },
];

for (const tag of selectedImages()) {
  for (const bad of BAD_STARTS) {
    Deno.test({
      name: `bootstrap stops at once with one line for: ${bad.what} [debian-${tag}]`,
      ignore: bad.needsAgent && !(await hasAgent(tag)),
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        // Debian 11 has a split /usr: its systemd is /lib/systemd/systemd, hide that too.
        const split = tag === "11" && bad.flags.includes("/usr/lib/systemd");
        const flags = split ? [...bad.flags, "--tmpfs", "/lib/systemd"] : bad.flags;
        const r = await runToExit(tag, flags, { timeoutMs: 30_000 });
        assert.equal(r.stdout, "");
        const lines = r.stderr.split("\n").filter(Boolean);
        assert.equal(lines.length, 1, `stderr:\n${r.stderr}`);
        assert.match(lines[0]!, bad.line);
        assert.equal(r.code, bad.code);
        assert.ok(r.ms < 5000, `took ${r.ms.toFixed(0)} ms`);
      },
    });
  }
}
