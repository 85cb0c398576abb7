/**
 * Names of the project's images and of the Docker client, shared by the build scripts
 * and the tests.
 *
 * @module
 */

/** The Debian releases an image is built for: 12 (systemd 252), 13 (257), sid (newest). */
export const IMAGE_TAGS = ["12", "13", "sid"] as const;
/** One of {@link IMAGE_TAGS}. */
export type ImageTag = typeof IMAGE_TAGS[number];

/** The image repository name; `CSD_IMAGE_REPO` overrides it (e.g. for parallel work). */
export const IMAGE_REPO = Deno.env.get("CSD_IMAGE_REPO") ||
  "containering-systemd";

/** The image for `tag`, e.g. "containering-systemd:debian-12". */
export function imageName(tag: ImageTag): string {
  return `${IMAGE_REPO}:debian-${tag}`;
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
