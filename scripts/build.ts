/**
 * `deno task build`: bundles the two entry points and everything they import (npm
 * packages included) into dist/, the files the image runs with
 * `deno run --no-config --cached-only`. (`deno compile` would need to download its
 * runtime, which these machines cannot.)
 *
 * - cli.ts → dist/containering-systemd.js: the full command (every subcommand and
 *   option, parsed with commander);
 * - cli_fast.ts → dist/containering-systemd-fast.js: `bootstrap` and `agent` without
 *   options, what every container start runs; it must load no Node.js module (checked
 *   here: Deno's Node.js compatibility layer costs about 60 ms of CPU a start).
 *
 * @module
 */

/** Where the full command's bundle is written, relative to the project root. */
export const BUNDLE_PATH = "dist/containering-systemd.js";
/** Where the fast path's bundle is written, relative to the project root. */
export const FAST_BUNDLE_PATH = "dist/containering-systemd-fast.js";

/**
 * Runs `deno bundle` on one entry point.
 *
 * @param root The project root.
 * @param entry The entry point, relative to `root`.
 * @param out The bundle to write, relative to `root`.
 * @throws {Error} If `deno bundle` fails; its output has been printed.
 */
async function bundle(root: string, entry: string, out: string): Promise<void> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", out, entry],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    throw new Error(`deno bundle of ${entry} failed (exit code ${r.code})`);
  }
}

/**
 * The `node:` modules a bundle imports or requires.
 *
 * @param source The bundle's text.
 * @returns Their names, e.g. `["node:module", "node:os"]`, each once.
 */
export function nodeModulesOf(source: string): string[] {
  const found = source.matchAll(/(?:from\s*|import\s*\(?\s*|require\s*\()"(node:[a-z_/]+)"/g);
  return [...new Set([...found].map((m) => m[1]!))];
}

/**
 * Bundles cli.ts and cli_fast.ts.
 *
 * @param root The project root.
 * @throws {Error} If `deno bundle` fails (its output has been printed), or if the fast
 *   bundle loads a Node.js module (the message names them and what to do).
 */
export async function build(root: string): Promise<void> {
  await bundle(root, "cli.ts", BUNDLE_PATH);
  await bundle(root, "cli_fast.ts", FAST_BUNDLE_PATH);
  const nodeModules = nodeModulesOf(await Deno.readTextFile(`${root}/${FAST_BUNDLE_PATH}`));
  if (nodeModules.length > 0) {
    throw new Error(
      `${FAST_BUNDLE_PATH} loads ${nodeModules.join(", ")}: keep Node.js modules and ` +
        "CommonJS packages that require them out of what cli_fast.ts imports",
    );
  }
}

if (import.meta.main) {
  await build(new URL("..", import.meta.url).pathname);
}
