/**
 * End-to-end tests of the container's life that depend on the machine's speed (run
 * alone, in the timed phase of scripts/e2e.sh): a main unit failing with 3 (its last line
 * must be in the log: under load it was once missing), `docker stop` of a running main
 * unit, SIGINT and Ctrl-C (signal proxy and `docker run -it`) within 3 s, and the
 * readability of a tty's log. The other exit statuses and the console with -t:
 * tests/bootstrap_exit_test.ts.
 */
import assert from "node:assert/strict";
import { delay, docker, TEST_LABEL, testEachImage } from "./harness.ts";
import { imageName, type ImageTag, testImageTags } from "./images.ts";
import { containerName, hasAgent, MINIMAL, waitRunning } from "./bootstrap_helpers.ts";
import { PtyProcess } from "./pty.ts";

/** systemd's status line marker "[  OK  ]", possibly coloured (ESC [ ... m). */
// deno-lint-ignore no-control-regex
const STATUS_OK = /\[\s*(\x1b\[[0-9;]*m)?\s*OK\s*(\x1b\[[0-9;]*m)?\s*\]/;

/**
 * Asserts that the end of a clean power-off reached the container log (the agent's
 * drain): systemd's "Reached target poweroff.target" and journald's "Journal stopped".
 */
function assertShutdownLogged(log: string): void {
  assert.match(log, /Reached target poweroff\.target/);
  assert.match(log, /Journal stopped/);
}

const selectedImages = (): ImageTag[] => {
  return testImageTags();
};

/** A directory of unit files, bind-mounted into test containers. */
const unitDir = await Deno.makeTempDir({ prefix: "csd-bs-units-" });
await Deno.chmod(unitDir, 0o755);
const UNITS: Record<string, string> = {
  "csd-main-fail.service": `[Unit]
Description=Test Main Unit That Fails With 3
[Service]
Type=exec
ExecStart=/bin/sh -c 'echo "csd-main: starting"; sleep 1; echo "csd-main: last line before exit 3"; exit 3'
`,
  "csd-main-long.service": `[Unit]
Description=Test Main Unit That Runs Until Stopped
[Service]
ExecStart=/bin/sleep infinity
`,
};
for (const [name, text] of Object.entries(UNITS)) {
  await Deno.writeTextFile(`${unitDir}/${name}`, text, { mode: 0o644 });
}
globalThis.addEventListener("unload", () => Deno.removeSync(unitDir, { recursive: true }));
const mountUnit = (name: string) => ["-v", `${unitDir}/${name}:/etc/systemd/system/${name}:ro`];

testEachImage(
  "a main unit exiting 3 makes the container exit 3, its last line in the log",
  {
    env: { CSD_MAIN_UNIT: "csd-main-fail" },
    dockerArgs: mountUnit("csd-main-fail.service"),
    waitRunning: false,
  },
  async (c) => {
    assert.equal(await c.waitExit(30_000), 3);
    if (await hasAgent(c.tag)) {
      const logs = await c.logs();
      assert.match(logs.stdout, /csd-main: last line before exit 3/);
    } else {
      console.warn(`${c.name}: no journalagent in the image; log line not checked`);
    }
  },
);

testEachImage(
  "docker stop of a container whose main unit still runs exits 0",
  {
    flags: ["minimal"],
    env: { CSD_MAIN_UNIT: "csd-main-long.service" },
    dockerArgs: mountUnit("csd-main-long.service"),
  },
  async (c) => {
    const active = await c.exec(["systemctl", "is-active", "csd-main-long.service"]);
    assert.equal(active.stdout.trim(), "active");
    const stop = await c.stop();
    assert.equal(stop.exitCode, 0);
  },
);

testEachImage(
  "SIGINT to PID 1 (docker kill -s INT) stops the container cleanly within 3 s",
  {},
  async (c) => {
    // systemd's own mapping would reboot; the generator makes it a power-off.
    const target = await c.exec([
      "systemctl",
      "show",
      "-p",
      "Id",
      "--value",
      "ctrl-alt-del.target",
    ]);
    assert.equal(target.stdout.trim(), "poweroff.target");
    const t0 = performance.now();
    await docker(["kill", "-s", "INT", c.name]);
    const code = await c.waitExit(10_000);
    const ms = performance.now() - t0;
    assert.equal(code, 0);
    assert.ok(ms < 3000, `stopped after ${ms.toFixed(0)} ms`);
    if (await hasAgent(c.tag)) {
      const logs = await c.logs();
      assertShutdownLogged(logs.stdout + logs.stderr);
    }
  },
);

for (const tag of selectedImages()) {
  Deno.test({
    name: `Ctrl-C in an attached docker run (signal proxy) stops it within 3 s [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const name = containerName("attached");
      const client = new Deno.Command("/usr/bin/docker", {
        args: ["run", "--name", name, "--label", TEST_LABEL, ...MINIMAL, imageName(tag)],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const done = client.output();
      try {
        await waitRunning(name);
        const t0 = performance.now();
        client.kill("SIGINT"); // what the terminal does to the foreground docker client
        const out = await Promise.race([done, delay(10_000).then(() => undefined)]);
        const ms = performance.now() - t0;
        assert.ok(out, "docker run did not end within 10 s of SIGINT");
        assert.equal(out.code, 0);
        assert.ok(ms < 3000, `stopped after ${ms.toFixed(0)} ms`);
        if (await hasAgent(tag)) {
          assertShutdownLogged(new TextDecoder().decode(out.stdout));
        }
      } finally {
        try {
          client.kill("SIGKILL");
        } catch { /* ended */ }
        await done.catch(() => {});
        await docker(["rm", "-f", "-v", name]);
      }
    },
  });

  Deno.test({
    name: `Ctrl-C typed into docker run -it stops it within 3 s, log readable [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const name = containerName("it");
      await using pty = new PtyProcess([
        "/usr/bin/docker",
        "run",
        "-it",
        "--name",
        name,
        "--label",
        TEST_LABEL,
        ...MINIMAL,
        imageName(tag),
      ]);
      try {
        await waitRunning(name);
        const t0 = performance.now();
        await pty.type("\x03");
        const r = await pty.wait(10_000);
        const ms = performance.now() - t0;
        assert.equal(r.code, 0, r.output.slice(-2000));
        assert.ok(ms < 3000, `stopped after ${ms.toFixed(0)} ms`);
        assert.doesNotMatch(r.output, STATUS_OK);
        assert.doesNotMatch(r.output, /login:/);
        if (await hasAgent(tag)) assertShutdownLogged(r.output);
      } finally {
        await docker(["rm", "-f", "-v", name]);
      }
    },
  });
}
