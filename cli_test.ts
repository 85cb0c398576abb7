import assert from "node:assert/strict";

const decoder = new TextDecoder();

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./cli.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout) };
}

for (const sub of ["bootstrap", "doctor", "health", "install", "version"]) {
  Deno.test(`main() prints usage for "${sub} --help" and exits 0`, async () => {
    const r = await cli(sub, "--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: containering-systemd ${sub} `));
  });
}

Deno.test("main() lists the subcommands in --help", async () => {
  const r = await cli("--help");
  assert.equal(r.code, 0);
  for (const sub of ["bootstrap", "doctor", "health", "install", "version"]) {
    assert.match(r.stdout, new RegExp(`^  ${sub}\\b`, "m"));
  }
});

Deno.test("main() install --help names the tree, the checks and the masked units", async () => {
  const r = await cli("install", "--help");
  assert.match(
    r.stdout,
    /^ {2}COPY --from=containering-systemd:debian-12 \/opt\/containering-systemd\/ \/$/m,
  );
  assert.match(r.stdout, /libsystemd\.so\.0 loads/);
  assert.match(r.stdout, /^Masks:\n {2}console-getty\.service\n/m);
});

Deno.test("main() bootstrap --help lists the CSD_ variables it reads", async () => {
  const r = await cli("bootstrap", "--help");
  assert.match(r.stdout, /--main-unit <unit>/);
  assert.match(r.stdout, /--no-pass-environment/);
  assert.match(r.stdout, /CSD_MAIN_UNIT/);
  assert.match(r.stdout, /CSD_PASS_ENVIRONMENT /);
});

Deno.test("main() bootstrap outside PID 1 stops with one line and exit 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./cli.ts", import.meta.url).pathname, "bootstrap"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const lines = decoder.decode(out.stderr).split("\n").filter(Boolean);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^systemd-bootstrap: not PID 1 \(running as PID \d+\)/);
});
