/**
 * Makes the image a portability test runs: `deno task build` (once per process: a
 * dist/ left from an older checkout would go into the image unnoticed), then
 * scripts/images.ts TAG, which builds what the image needs first (the base
 * image from Debian's archive, and for arm64 the emulation and the arm64 Deno) and then
 * the image itself, from Docker's build cache when nothing changed. Once per process and
 * tag.
 *
 * @module
 */
import { type ImageTag } from "../images.ts";

const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const built = new Map<ImageTag, Promise<void>>();
let bundled: Promise<void> | undefined;

async function run(what: string, args: string[]): Promise<void> {
  const t0 = performance.now();
  const out = await new Deno.Command(deno, {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (!out.success) throw new Error(`${what} failed (exit code ${out.code}); its output is above`);
  console.error(`portability: ${what} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Builds the image for `tag` (and what it needs) unless done already in this process.
 *
 * @param tag Which image, e.g. "11" or "12-arm64".
 * @throws {Error} If a step fails; that step's own one-line message is in the output.
 */
export function ensureImage(tag: ImageTag): Promise<void> {
  let p = built.get(tag);
  if (!p) {
    p = (async () => {
      bundled ??= run("deno task build", ["run", "-A", "scripts/build.ts"]);
      await bundled;
      await run(`scripts/images.ts ${tag}`, ["run", "-A", "scripts/images.ts", tag]);
    })();
    built.set(tag, p);
  }
  return p;
}
