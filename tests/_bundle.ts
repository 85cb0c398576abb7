/**
 * Bundles a script of tests/ once per test process (npm packages included), for running
 * inside a test container with the image's Deno, and copies it in.
 *
 * @module
 */
import { type Container, docker } from "./harness.ts";

const root = new URL("..", import.meta.url).pathname;
const bundles = new Map<string, Promise<string>>();

/**
 * Bundles `script` (a path relative to the project root) once; resolves to the bundle.
 *
 * @throws {Error} If `deno bundle` fails.
 */
export function bundleScript(script: string): Promise<string> {
  let p = bundles.get(script);
  if (p === undefined) {
    p = (async () => {
      const dir = await Deno.makeTempDir({ prefix: "csd-bundle-" });
      const out = `${dir}/${script.split("/").pop()!.replace(/\.ts$/, ".js")}`;
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--quiet", "--platform", "deno", "-o", out, script],
        cwd: root,
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!r.success) throw new Error(`deno bundle of ${script} failed (exit code ${r.code})`);
      return out;
    })();
    bundles.set(script, p);
  }
  return p;
}

/**
 * Bundles `script` and copies it into the container at `target` (not under /tmp: a
 * tmpfs on Debian 13 and later hides what `docker cp` puts there).
 *
 * @throws {Error} If bundling or `docker cp` fails.
 */
export async function installScript(c: Container, script: string, target: string): Promise<void> {
  const js = await bundleScript(script);
  const r = await docker(["cp", js, `${c.name}:${target}`]);
  if (r.code !== 0) throw new Error(`docker cp of ${script} failed: ${r.stderr.trim()}`);
}
