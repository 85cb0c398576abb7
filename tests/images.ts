/**
 * Names of the project's images and of the Docker client, shared by the build scripts
 * and the tests.
 *
 * @module
 */

/** The Debian releases an image is built for by default: 12 (systemd 252), 13 (257), sid (newest). */
export const IMAGE_TAGS = ["12", "13", "sid"] as const;
/**
 * Images built and tested only on request (`deno run -A scripts/images.ts 11`,
 * `CSD_TEST_IMAGES=11`): Debian 11 (systemd 247, glibc 2.31, the oldest tested), and
 * arm64 images of the default three (run under qemu-user emulation on an x86-64 host).
 */
export const EXTRA_IMAGE_TAGS = ["11", "12-arm64", "13-arm64", "sid-arm64"] as const;
/** Every tag an image can be built for: {@link IMAGE_TAGS} and {@link EXTRA_IMAGE_TAGS}. */
export const ALL_IMAGE_TAGS = [...IMAGE_TAGS, ...EXTRA_IMAGE_TAGS] as const;
/** One of {@link ALL_IMAGE_TAGS}. */
export type ImageTag = typeof ALL_IMAGE_TAGS[number];

/** The image repository name; `CSD_IMAGE_REPO` overrides it (e.g. for parallel work). */
export const IMAGE_REPO = Deno.env.get("CSD_IMAGE_REPO") ||
  "containering-systemd";

/** The image for `tag`, e.g. "containering-systemd:debian-12" or ":debian-12-arm64". */
export function imageName(tag: ImageTag): string {
  return `${IMAGE_REPO}:debian-${tag}`;
}

/**
 * The base image the Dockerfile builds `tag` from, under the name Docker Hub gives it
 * (scripts/base_images.sh builds it locally under that name when no registry answers).
 *
 * @param tag Which image.
 * @returns e.g. "debian:12-slim", or "arm64v8/debian:12-slim" for "12-arm64".
 */
export function baseImage(tag: ImageTag): string {
  const arm = tag.endsWith("-arm64");
  return `${arm ? "arm64v8/" : ""}debian:${arm ? tag.slice(0, -"-arm64".length) : tag}-slim`;
}

/**
 * The images the end-to-end tests run on: `CSD_TEST_IMAGES` (comma-separated tags from
 * {@link ALL_IMAGE_TAGS}, e.g. "11" or "12,sid"), else {@link IMAGE_TAGS}.
 *
 * @param among Only these tags (a test written for some images); without
 *   `CSD_TEST_IMAGES` all of them. @default IMAGE_TAGS
 * @returns The selected tags, in the order of `among`.
 */
export function testImageTags(among?: readonly ImageTag[]): ImageTag[] {
  const want = Deno.env.get("CSD_TEST_IMAGES")?.split(",").map((s) => s.trim()).filter(Boolean);
  if (!want) return [...(among ?? IMAGE_TAGS)];
  return (among ?? ALL_IMAGE_TAGS).filter((t) => want.includes(t));
}

/** The Docker client and image builder picked by scripts/docker_client.sh. */
export interface DockerClient {
  /** The client to run, e.g. "/usr/bin/docker". */
  binary: string;
  /** `DOCKER_BUILDKIT` for `docker build`: "1" (BuildKit) or "0" (the classic builder). */
  buildkit: string;
  /** A one-line note for the build's output, or "" (the classic-builder fallback). */
  note: string;
}

let selected: DockerClient | undefined;

/**
 * The Docker client and builder, picked once per process by scripts/docker_client.sh,
 * the same script the shell scripts use (its header lists the rules: `DOCKER`, then
 * `docker` from PATH; BuildKit unless the client is 23 or later without buildx).
 *
 * @throws {Error} If the script finds no client; its message says what to set.
 */
export function dockerClient(): DockerClient {
  if (selected) return selected;
  const script = new URL("../scripts/docker_client.sh", import.meta.url).pathname;
  const out = new Deno.Command("sh", { args: [script], stdout: "piped", stderr: "piped" })
    .outputSync();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(new TextDecoder().decode(out.stderr).trim() || `${script} failed`);
  }
  const field = (name: string) => text.match(new RegExp(`^${name}=(.*)$`, "m"))?.[1] ?? "";
  selected = { binary: field("DOCKER"), buildkit: field("DOCKER_BUILDKIT"), note: field("NOTE") };
  return selected;
}

/** The Docker client to run ({@link dockerClient}'s `binary`). */
export function dockerBinary(): string {
  return dockerClient().binary;
}
