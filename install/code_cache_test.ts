import assert from "node:assert/strict";
import { makeCodeCache } from "./code_cache.ts";

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
