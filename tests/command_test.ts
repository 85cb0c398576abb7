/**
 * End-to-end tests of what follows the image name (rootfs/usr/bin/systemd-bootstrap): a
 * command runs instead of systemd, as in the official images; systemd's own arguments
 * (an option first, a `systemd.` word, /sbin/init) still boot systemd with them.
 * The commands run on every selected image (short, no boot); the booted forms on the
 * first selected image (the choice is made by the entrypoint, not by systemd).
 */
import assert from "node:assert/strict";
import { Container, docker } from "./harness.ts";
import { imageName, type ImageTag, testImageTags } from "./images.ts";
import { containerName } from "./bootstrap_helpers.ts";

const selected = ((): ImageTag[] => {
  return testImageTags();
})();

/** `docker run --rm [-i] IMAGE ...args` (no flags: a command needs none), to its end. */
async function run(tag: ImageTag, args: string[], stdin?: string) {
  const name = containerName(`cmd-${tag}`);
  try {
    return await docker(
      ["run", "--name", name, ...(stdin === undefined ? [] : ["-i"]), imageName(tag), ...args],
      { stdin, timeoutMs: 60_000 },
    );
  } finally {
    await docker(["rm", "-f", name]);
  }
}

for (const tag of selected) {
  Deno.test(`a command after the image name runs instead of systemd [debian-${tag}]`, async () => {
    const bash = await run(tag, ["bash"], 'echo "bash as PID $$"\n');
    assert.deepEqual([bash.code, bash.stdout], [0, "bash as PID 1\n"], bash.stderr);

    const sh = await run(tag, ["/bin/sh", "-c", 'echo "$$ $(cat /proc/1/comm)"; exit 3']);
    assert.deepEqual([sh.code, sh.stdout], [3, "1 sh\n"], sh.stderr);

    const help = await run(tag, ["journalctl", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    // 252 and 257: "journalctl [OPTIONS...] [MATCHES...]"; 262: "> journalctl [OPTION…] [MATCH…]".
    assert.match(help.stdout, /^(> )?journalctl \[OPTIONS?(\.\.\.|…)\] \[MATCH(ES)?(\.\.\.|…)\]$/m);

    const missing = await run(tag, ["no-such-command"]);
    assert.equal(missing.code, 127, "exec of a missing command: the runtime's 127");
  });
}

const first = selected[0] ?? "12";

Deno.test(`--help after the image name prints the entrypoint's usage [debian-${first}]`, async () => {
  const r = await run(first, ["--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: containering-systemd bootstrap /m);
  assert.match(r.stdout, /anything else is a command run instead of systemd/);
});

Deno.test({
  name:
    `systemd.wants= first, then --log-level= and systemd.setenv= go to systemd [debian-${first}]`,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using c = await Container.start(first, {
      args: [
        "systemd.wants=systemd-tmpfiles-clean.service",
        "--log-level=debug",
        "systemd.setenv=CSD_PROBE=yes",
      ],
    });
    // A oneshot that only its daily timer starts otherwise.
    const ran = await c.exec([
      "systemctl",
      "show",
      "-p",
      "ExecMainStartTimestampMonotonic",
      "--value",
      "systemd-tmpfiles-clean.service",
    ]);
    assert.notEqual(ran.stdout.trim(), "0", "systemd-tmpfiles-clean.service ran at boot");
    const level = await c.exec(["systemctl", "show", "-p", "LogLevel", "--value"]);
    assert.equal(level.stdout.trim(), "debug");
    const env = await c.exec(["systemctl", "show-environment"]);
    assert.match(env.stdout, /^CSD_PROBE=yes$/m);
  },
});

Deno.test({
  name: `/sbin/init first is dropped, the rest goes to systemd [debian-${first}]`,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using c = await Container.start(first, {
      args: ["/sbin/init", "systemd.setenv=CSD_PROBE=init"],
    });
    const cmdline = await c.exec(["cat", "/proc/1/cmdline"]);
    assert.deepEqual(
      cmdline.stdout.split("\0").filter(Boolean).slice(1),
      ["--show-status=no", "systemd.setenv=CSD_PROBE=init"],
    );
    const env = await c.exec(["systemctl", "show-environment"]);
    assert.match(env.stdout, /^CSD_PROBE=init$/m);
  },
});
