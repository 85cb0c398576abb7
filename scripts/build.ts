/**
 * `deno task build`: bundles cli.ts and everything it imports (npm packages included)
 * into dist/containering-systemd.js, the one file the image runs with
 * `deno run --no-config --cached-only`. (`deno compile` would need to download its
 * runtime, which these machines cannot.)
 *
 * @module
 */

/** Where the bundle is written, relative to the project root. */
export const BUNDLE_PATH = "dist/containering-systemd.js";

/**
 * Runs `deno bundle` on cli.ts.
 *
 * @param root The project root.
 * @throws {Error} If `deno bundle` fails; its output has been printed.
 */
export async function build(root: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "-o",
      BUNDLE_PATH,
      "cli.ts",
    ],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`deno bundle failed (exit code ${out.code})`);
  }
}

if (import.meta.main) {
  await build(new URL("..", import.meta.url).pathname);
}
