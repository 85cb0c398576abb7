/**
 * `deno task images`: builds containering-systemd:debian-12, :debian-13 and
 * :debian-sid from the one Dockerfile. Expects the base images and dist/ to exist
 * (the task runs scripts/base_images.sh and `deno task build` first).
 *
 * Usage: deno run -A scripts/images.ts [12|13|sid|11|12-arm64|13-arm64|sid-arm64 ...]
 * (default 12 13 sid). For the others it first runs scripts/base_images.sh TAG (Debian 11,
 * or an arm64 base built under qemu-user emulation) and, for arm64, fetches the arm64
 * Deno (scripts/deno_binary.sh).
 * Environment: DOCKER (client binary), DOCKER_BUILDKIT (builder; scripts/docker_client.sh), CSD_IMAGE_REPO (default "containering-systemd").
 *
 * @module
 */
import {
  ALL_IMAGE_TAGS,
  baseImage,
  dockerClient,
  IMAGE_REPO,
  IMAGE_TAGS,
  imageName,
  type ImageTag,
} from "../tests/images.ts";

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
      `BASE_IMAGE=${baseImage(tag)}`,
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

/**
 * Makes what an image outside {@link IMAGE_TAGS} needs before its build: its base image
 * (scripts/base_images.sh, idempotent) and, for arm64, the arm64 Deno
 * (scripts/deno_binary.sh).
 *
 * @param root The project root.
 * @param tag Which image.
 * @throws {Error} If a script fails; its one-line message has been printed.
 */
export async function prepareExtra(root: string, tag: ImageTag): Promise<void> {
  const scripts = [["base_images.sh", tag]];
  if (tag.endsWith("-arm64")) scripts.push(["deno_binary.sh", "arm64"]);
  for (const [script, arg] of scripts) {
    const out = await new Deno.Command("sh", { args: [`${root}scripts/${script}`, arg!] })
      .output();
    if (!out.success) throw new Error(`images: scripts/${script} ${arg} failed`);
  }
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const wanted = Deno.args.length ? Deno.args : [...IMAGE_TAGS];
  for (const t of wanted) {
    if (!(ALL_IMAGE_TAGS as readonly string[]).includes(t)) {
      console.error(`images: unknown tag "${t}": use ${ALL_IMAGE_TAGS.join(", ")}`);
      Deno.exit(1);
    }
  }
  const { note } = dockerClient();
  if (note) console.error(`images: note: ${note}`);
  console.error(
    `images: building ${IMAGE_REPO}:{${wanted.map((t) => `debian-${t}`).join(",")}}`,
  );
  // The extra images' bases (Debian 11, arm64 under emulation) first, one after another.
  for (const t of wanted) {
    if (!(IMAGE_TAGS as readonly string[]).includes(t)) await prepareExtra(root, t as ImageTag);
  }
  // Then the builds at once: an uncached build waits mostly on Debian's archive (apt-get)
  // and on the engine committing layers, which overlap well; a cached one takes about a
  // second.
  await Promise.all(wanted.map((t) => buildImage(root, t as ImageTag)));
}
