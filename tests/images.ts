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

/**
 * The Docker client to run: `DOCKER` if set, else Debian's /usr/bin/docker (which
 * speaks the packaged engine's API exactly), else `docker` from PATH.
 */
export function dockerBinary(): string {
  const env = Deno.env.get("DOCKER");
  if (env) return env;
  try {
    Deno.statSync("/usr/bin/docker");
    return "/usr/bin/docker";
  } catch {
    return "docker";
  }
}
