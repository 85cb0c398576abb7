import assert from "node:assert/strict";
import { FAST_V8_FLAGS, makeCodeCache } from "./code_cache.ts";

/** A directory laid out as the image's lib: the running Deno and a stand-in fast bundle. */
async function fakeLib(bundle: string): Promise<string> {
  const lib = await Deno.makeTempDir({ prefix: "csd-lib-" });
  await Deno.symlink(Deno.execPath(), `${lib}/deno`);
  await Deno.writeTextFile(`${lib}/containering-systemd-fast.js`, bundle);
  return lib;
}

Deno.test("makeCodeCache() leaves a V8 code cache naming the fast bundle in lib/cache", async () => {
  // As cli_fast.ts's warm-cache: a spawned process gives the event loop its turns.
  const lib = await fakeLib(
    "const o = await new Deno.Command(Deno.execPath(), { args: ['--version'], stdout: 'null' })" +
      ".output();\nif (Deno.args[0] !== 'warm-cache' || !o.success) Deno.exit(2);\n",
  );
  try {
    assert.equal(await makeCodeCache(lib), null);
    const names = [...Deno.readDirSync(`${lib}/cache`)].map((e) => e.name);
    assert.ok(names.some((n) => n.startsWith("v8_code_cache")), names.join(" "));
  } finally {
    await Deno.remove(lib, { recursive: true });
  }
});

Deno.test("makeCodeCache() says in one line why there is no cache when the bundle fails", async () => {
  const lib = await fakeLib("console.error('boom: no such command'); Deno.exit(3);\n");
  try {
    assert.equal(
      await makeCodeCache(lib),
      "no V8 code cache for the fast bundle (warm-cache exited 3: boom: no such command): " +
        "each container start compiles it",
    );
  } finally {
    await Deno.remove(lib, { recursive: true });
  }
});

Deno.test("the image's wrapper runs the fast bundle with exactly FAST_V8_FLAGS", async () => {
  const wrapper = await Deno.readTextFile(
    new URL("../rootfs/usr/bin/containering-systemd", import.meta.url),
  );
  const flags = [...wrapper.matchAll(/--v8-flags=\S+/g)].map((m) => m[0]);
  assert.deepEqual(flags, [FAST_V8_FLAGS]);
});

Deno.test("FAST_V8_FLAGS bound V8's young generation while a program allocates fast", async () => {
  // Short-lived garbage at a high rate, as the agent makes formatting a flood. Without
  // --max-semi-space-size=1 V8 grew its heap to 20 MiB here (and the agent's to 87 MiB
  // over a flood of 1,000,000 entries).
  const program = "let n = 0;\n" +
    "for (let i = 0; i < 1_000_000; i++) {\n" +
    "  const o = { a: 'x'.repeat(20) + i, b: [i, i + 1, i + 2], c: new Uint8Array(64) };\n" +
    "  n += o.b.length + o.c.length;\n" +
    "}\n" +
    "console.log(JSON.stringify({ n, heapTotal: Deno.memoryUsage().heapTotal }));\n";
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", FAST_V8_FLAGS, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(program));
  await writer.close();
  const r = await out.output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  const { n, heapTotal } = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.equal(n, 67_000_000);
  assert.ok(heapTotal < 14 * 1024 * 1024, `heap ${(heapTotal / 1048576).toFixed(1)} MiB`);
});
