/**
 * Bad configuration: every journalagent setting with wrong values.
 *
 * 1. At container start (`docker run -e JOURNALAGENT_X=bad`): the entrypoint checks the
 *    settings before systemd starts; the container exits with 78 (EX_CONFIG) and one line
 *    on stderr that names the variable and the value.
 * 2. At run time (the agent started by systemd with a bad value, e.g. after
 *    `systemctl set-environment`): the agent exits with 78, one line naming the setting
 *    reaches the container's stderr, the unit is not restarted (no silent loop), and
 *    fixing the value and restarting the unit resumes the log.
 * 3. Values of the right form that cannot work (a journal directory that does not
 *    exist, a cursor file that cannot be written): a line naming the setting reaches
 *    the container's stderr, and the log does not repeat itself.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, delay, testEachImageShared } from "./harness.ts";
import { type ImageTag, testImageTags } from "./images.ts";
import { MINIMAL, runToExit } from "./bootstrap_helpers.ts";

/** Wrong values for every setting: [variable, value]. */
export const BAD_VALUES: readonly [string, string][] = [
  ["JOURNALAGENT_OUTPUT", "jsn"],
  ["JOURNALAGENT_OUTPUT", "JSON"],
  ["JOURNALAGENT_UNITS", "foo bar.service"],
  ["JOURNALAGENT_UNITS", "a/b"],
  ["JOURNALAGENT_EXCLUDE_UNITS", "x;y"],
  ["JOURNALAGENT_MAX_PRIORITY", "8"],
  ["JOURNALAGENT_MAX_PRIORITY", "verbose"],
  ["JOURNALAGENT_STDERR_PRIORITY", "loud"],
  ["JOURNALAGENT_EXTRA_FIELDS", "lower_case"],
  ["JOURNALAGENT_EXTRA_FIELDS", "A-B"],
  ["JOURNALAGENT_POLL_INTERVAL", "0"],
  ["JOURNALAGENT_POLL_INTERVAL", "1.5"],
  ["JOURNALAGENT_POLL_INTERVAL", "99999999999999999999"],
  ["JOURNALAGENT_IDLE_POLL_INTERVAL", "10001"],
  ["JOURNALAGENT_IDLE_POLL_INTERVAL", "5"],
  ["JOURNALAGENT_BATCH_BYTES", "4095"],
  ["JOURNALAGENT_BATCH_BYTES", "1e6"],
  ["JOURNALAGENT_CURSOR_FILE", "relative/cursor"],
  ["JOURNALAGENT_CURSOR_FILE", "/run/dir/"],
  ["JOURNALAGENT_DIRECTORY", "var/log/journal"],
  ["JOURNALAGENT_SOURCE_PID", "0"],
  ["JOURNALAGENT_SOURCE_PID", "init"],
];

/** Wrong values of the bootstrap's own settings, checked at start only (not the agent's). */
const BAD_BOOTSTRAP_VALUES: readonly [string, string][] = [
  ["CSD_HEALTH_HOLD", "abc"],
  ["CSD_HEALTH_HOLD", "1.5"],
];

/**
 * The values tried on an image: all on debian-12, every fourth elsewhere (the same code
 * reads them on every image).
 */
function valuesFor(tag: ImageTag): readonly [string, string][] {
  return tag === "12" ? BAD_VALUES : BAD_VALUES.filter((_, i) => i % 4 === 0);
}

const selectedImages = (): ImageTag[] => {
  const flags = Deno.env.get("CSD_TEST_FLAGS")?.split(",").map((s) => s.trim());
  if (flags && !flags.includes("minimal")) return [];
  return testImageTags();
};

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

for (const tag of selectedImages()) {
  Deno.test({
    name: `every bad JOURNALAGENT_* or CSD_HEALTH_HOLD value stops the container with one line ` +
      `naming it [debian-${tag}]`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const values = [...valuesFor(tag), ...(tag === "12" ? BAD_BOOTSTRAP_VALUES : [])];
      const problems = (await pool(values, 3, async ([name, value]) => {
        const r = await runToExit(tag, [...MINIMAL, "-e", `${name}=${value}`], {
          timeoutMs: 30_000,
        });
        const lines = r.stderr.split("\n").filter(Boolean);
        const want = `invalid ${name} ${JSON.stringify(value)}`;
        if (r.code === 78 && lines.length === 1 && lines[0]!.includes(want) && r.stdout === "") {
          return null;
        }
        return `${name}=${value}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`;
      })).filter((p) => p !== null);
      assert.deepEqual(problems, []);
    },
  });
}

/** The container's stderr lines so far. */
async function stderrLines(c: Container): Promise<string[]> {
  return (await c.logs()).stderr.split("\n").filter(Boolean);
}

async function unitState(c: Container): Promise<Record<string, string>> {
  const r = await c.exec([
    "systemctl",
    "show",
    "-p",
    "ActiveState,Result,NRestarts,ExecMainStatus",
    "journalagent",
  ]);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("=", 2)));
}

/** Sets a variable in PID 1's environment for the agent and restarts it. */
async function restartWith(c: Container, name: string, value: string): Promise<void> {
  await c.exec(["systemctl", "set-environment", `${name}=${value}`]);
  await c.exec(["systemctl", "restart", "journalagent"]);
}

/** Removes the variable, and starts the agent afresh. */
async function restore(c: Container, name: string): Promise<void> {
  await c.exec(["systemctl", "unset-environment", name]);
  await c.exec(["systemctl", "reset-failed", "journalagent"]);
  const r = await c.exec(["systemctl", "restart", "journalagent"]);
  assert.equal(r.code, 0, r.stderr);
}

/** `value` quoted for sh. */
function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// For each bad value, inside the container (one `docker exec` for all, so that the test
// costs seconds, not a round trip per step): set it in the manager's environment,
// restart the agent, wait until the unit is failed (final: RestartPreventExitStatus=78,
// so no restart loop can follow), print its state, then remove the setting; the agent
// is started with the good settings once, after the last value.
const RUN_TIME_CHECK = `
check() {
  systemctl set-environment "$1=$2"
  systemctl restart journalagent
  i=0
  while [ "$(systemctl show -p ActiveState --value journalagent)" != failed ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
  done
  echo "$1 $(systemctl show -p ActiveState -p ExecMainStatus -p NRestarts journalagent | sort | tr '\\n' ' ')"
  systemctl unset-environment "$1"
  systemctl reset-failed journalagent
}
`;

/** The agent reports a bad setting at run time in one line and stays stopped. */
async function runTimeValues(c: Container): Promise<void> {
  const before = (await stderrLines(c)).length;
  const values = valuesFor(c.tag);
  const script = RUN_TIME_CHECK +
    values.map(([name, value]) => `check ${name} ${shQuote(value)}`).join("\n") +
    "\nsystemctl restart journalagent";
  const r = await c.sh(script, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  // Each value: the unit failed with 78 and was not restarted...
  assert.deepEqual(
    r.stdout.trim().split("\n").map((l) => l.trimEnd()),
    values.map(([name]) => `${name} ActiveState=failed ExecMainStatus=78 NRestarts=0 `.trimEnd()),
  );
  // ...and wrote exactly one line naming the setting and the value on the container's
  // stderr, in order.
  const want = values.map(([name, value]) =>
    `journalagent: invalid ${name} ${JSON.stringify(value)}`
  );
  const logs = await c.waitForLogs(
    (l) => l.stderr.split("\n").filter(Boolean).length >= before + want.length,
    10_000,
  ).catch(() => c.logs());
  const lines = logs.stderr.split("\n").filter(Boolean).slice(before);
  assert.equal(lines.length, want.length, `stderr lines: ${JSON.stringify(lines)}`);
  lines.forEach((l, i) => assert.ok(l.startsWith(want[i]!), `line ${i}: ${l}`));
  // The log goes on after the last fix.
  const marker = `csd-bad-config-done-${Date.now()}`;
  await c.exec(["logger", marker]);
  await c.waitForLogs((l) => l.stdout.includes(marker), 10_000);
}

/** The agent's bad flags give one line naming them and exit 78. */
async function badFlags(c: Container): Promise<void> {
  const problems: string[] = [];
  for (
    const [args, want] of [
      // An unknown flag is a usage error: the usage text, then the one line.
      [["--bogus"], /^journalagent: unknown option '--bogus'$/],
      [["--output", "jsn"], /^journalagent: invalid --output "jsn": expected /],
      [["--max-priority", "8"], /^journalagent: invalid --max-priority "8": expected /],
      [["--batch-bytes", "1"], /^journalagent: invalid --batch-bytes "1": expected /],
      [["--source-pid", "x"], /^journalagent: invalid --source-pid "x": expected /],
    ] as const
  ) {
    const r = await c.exec(["/usr/bin/journalagent", ...args]);
    const lines = r.stderr.split("\n").filter(Boolean);
    const usage = args[0] === "--bogus";
    if (r.code !== 78 || !want.test(lines.at(-1) ?? "") || (!usage && lines.length !== 1)) {
      problems.push(`${args.join(" ")}: exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
    }
  }
  assert.deepEqual(problems, []);
}

/**
 * An unusable value of the right form for `name` is reported on the container's stderr,
 * and the log does not repeat; the setting is removed and the agent restarted afterwards.
 */
function unusable(name: string, value: string): (c: Container) => Promise<void> {
  return async (c) => {
    const before = await c.logs();
    const stdoutBefore = before.stdout.split("\n").length;
    await restartWith(c, name, value);
    // Until the agent has given up (failed is final: RestartPreventExitStatus=78); a
    // repeating log would have shown by then.
    const deadline = Date.now() + 10_000;
    while ((await unitState(c))["ActiveState"] !== "failed" && Date.now() < deadline) {
      await delay(100);
    }
    const after = await c.logs();
    const lines = after.stderr.split("\n").filter(Boolean).slice(
      before.stderr.split("\n").filter(Boolean).length,
    );
    // The same entries sent again and again would show as repeated cursors.
    const cursors = after.stdout.split("\n").map((l) => /"__CURSOR":"([^"]+)"/.exec(l)?.[1])
      .filter((x) => x !== undefined);
    const repeated = cursors.length - new Set(cursors).size;
    const state = await unitState(c);
    await restore(c, name);
    assert.ok(
      lines.some((l) => l.includes(name)),
      `no line naming ${name} on the container's stderr (new stderr: ${
        JSON.stringify(lines)
      }; unit ${JSON.stringify(state)})`,
    );
    assert.equal(
      repeated,
      0,
      `${repeated} entries written again (stdout grew from ${stdoutBefore} to ${
        after.stdout.split("\n").length
      } lines; unit ${JSON.stringify(state)})`,
    );
  };
}

// One container per image for these checks: each leaves the agent running with the
// image's settings (the bad flags run a second journalagent beside it and change
// nothing), and each counts only the stderr lines that came during it.
testEachImageShared("bad settings at run time", { flags: ["minimal"] }, [
  ["the agent's bad flags give one line naming them and exit 78", badFlags],
  ...([
    ["JOURNALAGENT_DIRECTORY", "/nonexistent"],
    ["JOURNALAGENT_CURSOR_FILE", "/proc/cursor"],
  ] as const).map(([name, value]) =>
    [
      `an unusable ${name} is reported on the container's stderr, the log does not repeat`,
      unusable(name, value),
    ] as const
  ),
  ["the agent reports a bad setting at run time in one line and stays stopped", runTimeValues],
]);
