import assert from "node:assert/strict";
import { VERSION } from "./version.ts";

const decoder = new TextDecoder();

async function fast(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./cli_fast.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("fastMain() bootstrap outside PID 1 stops with the full command's line and exit 1", async () => {
  const r = await fast("bootstrap");
  assert.equal(r.code, 1);
  const lines = r.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^systemd-bootstrap: not PID 1 \(running as PID \d+\)/);
});

Deno.test("fastMain() agent without PID 1's output copies exits 69 (EX_UNAVAILABLE)", async () => {
  const r = await fast("agent");
  assert.equal(r.code, 69);
});

Deno.test("fastMain() prints the version", async () => {
  const r = await fast("version");
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${VERSION}\n`);
});

for (
  const args of [["bootstrap", "--main-unit", "a.service"], ["agent", "--help"], ["doctor"], []]
) {
  Deno.test(`fastMain() refuses "${args.join(" ")}" with exit 2: the full command runs it`, async () => {
    const r = await fast(...args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^containering-systemd-fast: unknown command line/);
  });
}

Deno.test("fastMain() warm-cache leaves a V8 code cache of the entry module in DENO_DIR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "csd-warm-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./cli_fast.ts", import.meta.url).pathname, "warm-cache"],
      env: { DENO_DIR: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    // The database and its write-ahead log: the module's URL is in one of them.
    let text = "";
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith("v8_code_cache")) {
        text += new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${e.name}`));
      }
    }
    assert.ok(text.includes("cli_fast.ts"), "no code cache entry for cli_fast.ts");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
