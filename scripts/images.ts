/**
 * `deno task images`: builds containering-systemd:debian-12, :debian-13 and
 * :debian-sid from the one Dockerfile. Expects the base images and dist/ to exist
 * (the task runs scripts/base_images.sh and `deno task build` first).
 *
 * Usage: deno run -A scripts/images.ts [12|13|sid ...]
 * Environment: DOCKER (client binary), DOCKER_BUILDKIT (builder; scripts/docker_client.sh), CSD_IMAGE_REPO (default "containering-systemd").
 *
 * @module
 */
import { dockerClient, IMAGE_REPO, IMAGE_TAGS, imageName, type ImageTag } from "../tests/images.ts";

/**
 * Builds one image.
 *
 * @param root The project root (the build context).
 * @param tag Which Debian.
 * @throws {Error} If `docker build` fails; its output has been printed.
 */
export async function buildImage(root: string, tag: ImageTag): Promise<void> {
  const started = performance.now();
  const client = dockerClient();
  const out = await new Deno.Command(client.binary, {
    args: [
      "build",
      ...(client.buildkit === "1" ? ["--progress=plain"] : []),
      "--build-arg",
      `BASE_IMAGE=debian:${tag}-slim`,
      "-t",
      imageName(tag),
      ".",
    ],
    cwd: root,
    env: { DOCKER_BUILDKIT: client.buildkit },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const log = new TextDecoder().decode(out.stderr) +
      new TextDecoder().decode(out.stdout);
    console.error(log.split("\n").slice(-40).join("\n"));
    throw new Error(
      `docker build of ${imageName(tag)} failed (exit code ${out.code})`,
    );
  }
  const s = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`images: built ${imageName(tag)} in ${s} s`);
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const wanted = Deno.args.length ? Deno.args : [...IMAGE_TAGS];
  for (const t of wanted) {
    if (!(IMAGE_TAGS as readonly string[]).includes(t)) {
      console.error(`images: unknown tag "${t}": use ${IMAGE_TAGS.join(", ")}`);
      Deno.exit(1);
    }
  }
  const { note } = dockerClient();
  if (note) console.error(`images: note: ${note}`);
  console.error(
    `images: building ${IMAGE_REPO}:{${wanted.map((t) => `debian-${t}`).join(",")}}`,
  );
  // At once: an uncached build waits mostly on Debian's archive (apt-get) and on the
  // engine committing layers, which overlap well; a cached one takes about a second.
  await Promise.all(wanted.map((t) => buildImage(root, t as ImageTag)));
}
