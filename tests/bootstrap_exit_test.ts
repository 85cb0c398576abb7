/**
 * End-to-end tests of how the container ends and what its console shows, none of them
 * timed (so they run in the parallel phase of scripts/e2e.sh): a main unit's exit 0 as
 * the container's, `systemctl exit N`, and with -t no getty and no status lines unless
 * asked. The stops within 3 s and a failing main unit's last line in the log:
 * tests/bootstrap_lifecycle_test.ts.
 */
import assert from "node:assert/strict";
import { testEachImage } from "./harness.ts";
import { hasAgent } from "./bootstrap_helpers.ts";

/** systemd's status line marker "[  OK  ]", possibly coloured (ESC [ ... m). */
// deno-lint-ignore no-control-regex
const STATUS_OK = /\[\s*(\x1b\[[0-9;]*m)?\s*OK\s*(\x1b\[[0-9;]*m)?\s*\]/;

/** A directory of unit files, bind-mounted into test containers. */
const unitDir = await Deno.makeTempDir({ prefix: "csd-bs-exit-units-" });
await Deno.chmod(unitDir, 0o755);
const UNITS: Record<string, string> = {
  "csd-main-ok.service": `[Unit]
Description=Test Main Unit That Succeeds
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'sleep 1; echo "csd-main-ok: done"'
`,
};
for (const [name, text] of Object.entries(UNITS)) {
  await Deno.writeTextFile(`${unitDir}/${name}`, text, { mode: 0o644 });
}
globalThis.addEventListener("unload", () => Deno.removeSync(unitDir, { recursive: true }));
const mountUnit = (name: string) => ["-v", `${unitDir}/${name}:/etc/systemd/system/${name}:ro`];

testEachImage(
  "a main unit given with --main-unit that succeeds makes the container exit 0",
  {
    flags: ["minimal"],
    args: ["--main-unit", "csd-main-ok.service"],
    dockerArgs: mountUnit("csd-main-ok.service"),
    waitRunning: false,
  },
  async (c) => {
    assert.equal(await c.waitExit(30_000), 0);
  },
);

testEachImage("systemctl exit 7 makes the container exit 7", { flags: ["minimal"] }, async (c) => {
  await c.exec(["systemctl", "exit", "7"]);
  assert.equal(await c.waitExit(30_000), 7);
});

testEachImage(
  "with -t: no agetty on the console, no status lines unless --show-status=yes",
  { tty: true },
  async (c) => {
    const getty = await c.exec(["systemctl", "is-enabled", "console-getty.service"]);
    assert.equal(getty.stdout.trim(), "masked");
    const agetty = await c.sh("cat /proc/[0-9]*/comm | grep -c agetty || true");
    assert.equal(agetty.stdout.trim(), "0");
    const ctrlC = await c.exec(["systemctl", "is-active", "containering-ctrl-c.service"]);
    assert.equal(ctrlC.stdout.trim(), "active");
    const logs = await hasAgent(c.tag)
      // the forwarded journal is there, systemd's own status lines are not
      ? await c.waitForLogs((l) => /Reached target multi-user\.target/.test(l.stdout), 10_000)
      : await c.logs();
    assert.doesNotMatch(logs.stdout, STATUS_OK);
    assert.doesNotMatch(logs.stdout, /login:/);
  },
);

testEachImage(
  "with -t and --show-status=yes, systemd's status lines are there (as asked)",
  { tty: true, flags: ["minimal"], args: ["--show-status=yes"] },
  async (c) => {
    const logs = await c.waitForLogs((l) => STATUS_OK.test(l.stdout), 10_000);
    assert.match(logs.stdout, STATUS_OK);
  },
);
