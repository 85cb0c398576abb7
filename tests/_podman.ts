/**
 * Podman for the tests: the client, and the project's images copied from Docker into
 * Podman's store (`docker save | podman load`), once per image build.
 *
 * @module
 */
import { dockerBinary, imageName, type ImageTag } from "./images.ts";

/** The podman binary, or undefined where Podman is not installed (the tests skip). */
export const podmanBinary: string | undefined = (() => {
  for (const p of ["/usr/bin/podman", "/usr/local/bin/podman"]) {
    try {
      Deno.statSync(p);
      return p;
    } catch { /* next */ }
  }
  return undefined;
})();

const decoder = new TextDecoder();

/**
 * Runs `podman args...`.
 *
 * @param args Arguments after `podman`.
 * @param stdin Bytes to send on its stdin.
 * @returns The exit code and output; never throws for a non-zero exit.
 * @throws {TypeError} If Podman is not installed ({@link podmanBinary} is undefined).
 */
export async function podman(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!podmanBinary) throw new TypeError("podman is not installed");
  const child = new Deno.Command(podmanBinary, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const loaded = new Map<ImageTag, Promise<string>>();

/**
 * Makes Podman's store hold the Docker image of `tag` as Docker has it now (the same
 * image ID: `podman load` of a `docker save` keeps it), loading it when not; once per
 * process.
 *
 * @param tag The image.
 * @returns Podman's name of the image, `localhost/<repository>:debian-<tag>`.
 * @throws {Error} If Docker has no such image, or `docker save` or `podman load` fails.
 */
export function loadImage(tag: ImageTag): Promise<string> {
  let p = loaded.get(tag);
  if (!p) {
    p = copyImage(tag);
    loaded.set(tag, p);
  }
  return p;
}

async function copyImage(tag: ImageTag): Promise<string> {
  const name = `localhost/${imageName(tag)}`;
  const docker = (args: string[]) =>
    new Deno.Command(dockerBinary(), { args, stdout: "piped", stderr: "piped" }).output();
  const id = await docker(["image", "inspect", "-f", "{{.Id}}", imageName(tag)]);
  if (!id.success) {
    throw new Error(`Docker has no image "${imageName(tag)}": build it (deno task images)`);
  }
  const want = decoder.decode(id.stdout).trim().replace(/^sha256:/, "");
  const have = await podman(["image", "inspect", "-f", "{{.Id}}", name]);
  if (have.code === 0 && have.stdout.trim() === want) return name;
  const saved = await docker(["save", imageName(tag)]);
  if (!saved.success) {
    throw new Error(`docker save ${imageName(tag)} failed: ${decoder.decode(saved.stderr).trim()}`);
  }
  const r = await podman(["load", "-q"], saved.stdout);
  if (r.code !== 0) throw new Error(`podman load of ${imageName(tag)} failed: ${r.stderr.trim()}`);
  return name;
}
