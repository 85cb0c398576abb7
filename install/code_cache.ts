/**
 * The fast bundle's V8 code cache, made once at image build time by `containering-systemd
 * install`, so that no container compiles the bundle anew when its bootstrap and its
 * agent start (about 110 ms of CPU each on the machine of docs/bench.md, "Boot").
 *
 * The cache is Deno's own (`DENO_DIR`: SQLite databases of V8 code cache and module
 * analysis) in /usr/lib/containering-systemd/cache, which the wrapper
 * /usr/bin/containering-systemd passes as DENO_DIR for exactly `bootstrap` and `agent`.
 * Deno reads it from a read-only root too (`--read-only`, the agent's
 * `ProtectSystem=strict`); a bundle that changes gets a new cache at its first start,
 * written where the file system allows, else kept in memory.
 *
 * @module
 */

/**
 * The V8 flags the fast bundle runs with, here and in /usr/bin/containering-systemd (V8
 * rejects a code cache made with other flags that affect code):
 *
 * - `--no-enable-lazy-source-positions`: V8 by default compiles without source
 *   positions and, at the first exception that captures a stack trace, compiles the
 *   functions on the stack again to get them: for the bundle's top-level module function
 *   that is a second parse of the whole bundle, 6 ms at the first caught NotFound of
 *   every bootstrap and agent start (measured in a debian-12 container; 0.45 ms with the
 *   flag).
 * - `--max-semi-space-size=1` (MiB): V8 grows its young generation up to 16 MiB a
 *   semi-space while a program allocates fast, as the agent does formatting a flood, and
 *   keeps it: the agent's anonymous memory went from 14 to 87 MiB over a flood of
 *   1,000,000 entries (docs/bench.md), over its 64 MiB budget and near the `MemoryHigh=`
 *   of a small container's drop-in (bootstrap/agent_memory.ts). With 1 MiB it stays
 *   under 19 MiB, and the agent's CPU for the flood was no higher (9.8 s against 10.9 s
 *   in one run each). It does not change the code cache (V8 accepts the same cache).
 */
export const FAST_V8_FLAGS = "--v8-flags=--no-enable-lazy-source-positions,--max-semi-space-size=1";

/** Where the image carries the runtime, the bundles and the cache. */
export const LIB = "/usr/lib/containering-systemd";

/**
 * Makes the code cache: starts the fast bundle's `warm-cache` command twice with the
 * cache as DENO_DIR. The first start compiles and stores; the second finds every entry
 * and runs only SQLite's `PRAGMA optimize`, which would otherwise be the one write each
 * container's bootstrap makes to the image's cache (as it execs systemd).
 *
 * @param lib The directory of the runtime and the bundles. @default {@link LIB}
 * @returns null when the cache holds the bundle, else why not (one line: the image
 *   works without it, each start compiles the bundle).
 */
export async function makeCodeCache(lib: string = LIB): Promise<string | null> {
  const dir = `${lib}/cache`;
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  for (let i = 0; i < 2; i++) {
    const out = await new Deno.Command(`${lib}/deno`, {
      args: [
        "run",
        "--no-config",
        "--cached-only",
        "-A",
        FAST_V8_FLAGS,
        `${lib}/containering-systemd-fast.js`,
        "warm-cache",
      ],
      env: { DENO_DIR: dir, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ?? "";
      return `no V8 code cache for the fast bundle (warm-cache exited ${out.code}: ${why}): ` +
        "each container start compiles it";
    }
  }
  // The database or its write-ahead log names the bundle's URL once it holds its code.
  let text = "";
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("v8_code_cache")) {
      text += new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/${e.name}`));
    }
  }
  return text.includes("containering-systemd-fast.js")
    ? null
    : `Deno wrote no V8 code cache for the fast bundle to ${dir}: each container start ` +
      "compiles it";
}
