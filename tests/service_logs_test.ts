/**
 * Services that log to files, and how a service's output maps to priorities
 * (docs/service-logs.md), in one container per image of the tested example
 * docs/service-logs/Dockerfile (nginx, built once per image):
 *  - nginx's access line (syslog, priority 6) reaches the container's stdout, its error
 *    line (syslog, priority 3) the container's stderr with JOURNALAGENT_STDERR_PRIORITY=err;
 *  - a service's stdout and stderr are both priority 6, a "<3>" prefix makes a line 3,
 *    a symlink to /dev/stdout cannot be opened (a journal stream is a socket);
 *  - `containering-systemd doctor` names a failed unit.
 */
import assert from "node:assert/strict";
import { delay, docker } from "./harness.ts";
import { testImageTags } from "./images.ts";
import { containerName, runDetached, waitRunning } from "./bootstrap_helpers.ts";
import { buildServiceLogsImage, SERVICE_LOGS_DIR, serviceLogsImage } from "./_example_images.ts";

const root = new URL("..", import.meta.url).pathname;

const unitDir = await Deno.makeTempDir({ prefix: "csd-service-logs-" });
await Deno.chmod(unitDir, 0o755);
const UNITS: Record<string, string> = {
  // `$$?` in a unit file is the shell's `$?`.
  "csd-prio.service": "[Service]\nType=oneshot\nExecStart=/bin/sh -c " +
    `'echo prio-out; echo prio-err >&2; echo "<3>prio-prefixed"; ` +
    `ln -sf /dev/stdout /tmp/csd.log; echo x >/tmp/csd.log; echo "prio-symlink $$?"'\n`,
  "csd-broken.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
};
for (const [name, text] of Object.entries(UNITS)) {
  await Deno.writeTextFile(`${unitDir}/${name}`, text, { mode: 0o644 });
}
globalThis.addEventListener("unload", () => Deno.removeSync(unitDir, { recursive: true }));

/** A forwarded journal entry (the agent's default JSON output) and the stream it came on. */
interface Line {
  stream: "stdout" | "stderr";
  entry: Record<string, unknown>;
}

/** The JSON lines of both streams of a container log. */
function parseLog(stdout: string, stderr: string): Line[] {
  const parse = (text: string, stream: Line["stream"]) =>
    text.split("\n").flatMap((l) => {
      if (!l.startsWith("{")) return [];
      return [{ stream, entry: JSON.parse(l) as Record<string, unknown> }];
    });
  return [...parse(stdout, "stdout"), ...parse(stderr, "stderr")];
}

Deno.test("docs/service-logs.md shows docs/service-logs/Dockerfile verbatim", async () => {
  const doc = await Deno.readTextFile(`${root}docs/service-logs.md`);
  const text = await Deno.readTextFile(`${SERVICE_LOGS_DIR}/Dockerfile`);
  assert.ok(doc.includes(text.trimEnd()), "docs/service-logs.md lacks its Dockerfile");
});

for (const tag of testImageTags()) {
  Deno.test({
    name: `nginx logs, output priorities and doctor's failed units [debian-${tag}]`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const image = serviceLogsImage(tag);
      const build = await buildServiceLogsImage(tag);
      assert.equal(build.code, 0, build.stderr);
      const name = containerName(`nginx-${tag}`);
      let lines: Line[] = [];
      try {
        await runDetached(name, image, [
          "-e",
          "JOURNALAGENT_STDERR_PRIORITY=err",
          ...Object.keys(UNITS).flatMap((
            n,
          ) => ["-v", `${unitDir}/${n}:/etc/systemd/system/${n}:ro`]),
        ]);
        await waitRunning(name);
        // A request for a directory without an index: an access line and an error line.
        const probe = `/csd-probe-${Deno.pid}/`;
        await docker(["exec", name, "mkdir", `/var/www/html${probe}`]);
        const get = await docker([
          "exec",
          name,
          "bash",
          "-c",
          `exec 3<>/dev/tcp/127.0.0.1/80; printf 'GET ${probe} HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`,
        ]);
        assert.match(get.stdout, /^HTTP\/1\.1 403/, get.stdout + get.stderr);
        await docker(["exec", name, "systemctl", "start", "csd-prio.service"]);
        await docker(["exec", name, "systemctl", "start", "csd-broken.service"]);

        const find = (re: RegExp) => lines.filter((l) => re.test(String(l.entry.MESSAGE)));
        const wanted = [
          new RegExp(`"GET ${probe} HTTP/1\\.0" 403`),
          new RegExp(`directory index of ".*${probe}" is forbidden`),
          /^prio-symlink /,
        ];
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          const logs = await docker(["logs", name]);
          lines = parseLog(logs.stdout, logs.stderr);
          if (wanted.every((re) => find(re).length > 0)) break;
          await delay(200);
        }
        const one = (re: RegExp) => {
          const found = find(re);
          assert.equal(found.length, 1, `${re}: ${found.length} lines`);
          return found[0]!;
        };
        const access = one(wanted[0]!);
        assert.deepEqual([access.stream, access.entry.PRIORITY, access.entry.SYSLOG_IDENTIFIER], [
          "stdout",
          "6",
          "nginx",
        ]);
        const error = one(wanted[1]!);
        assert.deepEqual([error.stream, error.entry.PRIORITY], ["stderr", "3"]);
        for (
          const [re, stream, priority] of [
            [/^prio-out$/, "stdout", "6"],
            [/^prio-err$/, "stdout", "6"],
            [/^prio-prefixed$/, "stderr", "3"],
          ] as const
        ) {
          const l = one(re);
          assert.deepEqual([l.stream, l.entry.PRIORITY], [stream, priority], String(re));
        }
        assert.equal(one(/^prio-symlink /).entry.MESSAGE, "prio-symlink 2");
        assert.equal(find(/cannot create \/tmp\/csd\.log: No such device or address/).length, 1);

        const doctor = await docker(["exec", name, "containering-systemd", "doctor"]);
        assert.match(doctor.stdout, /^failed units\s+warn\s+csd-broken\.service: /m, doctor.stdout);
      } catch (e) {
        console.error(lines.slice(-40).map((l) => `${l.stream}: ${l.entry.MESSAGE}`).join("\n"));
        throw e;
      } finally {
        await docker(["rm", "-f", "-v", name]);
      }
    },
  });
}
