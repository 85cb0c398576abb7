/**
 * The images of the docs' tested examples, built the same way by the tests that run them
 * and by tests/_prepare_runtimes.ts (which builds them ahead, so that the tests find
 * them in Docker's build cache).
 *
 * @module
 */
import { type CommandResult, docker } from "./harness.ts";
import { IMAGE_REPO, imageName, type ImageTag } from "./images.ts";

const root = new URL("..", import.meta.url).pathname;
/** docs/service-logs/: nginx in a containering-systemd image (docs/service-logs.md). */
export const SERVICE_LOGS_DIR = `${root}docs/service-logs`;
/** docs/recipe/: the own-image recipe (docs/recipe.md). */
export const RECIPE_DIR = `${root}docs/recipe`;
/** The Debian releases the recipe is tested on, each with its own systemd. */
export const RECIPE_BASES = ["13", "sid"] as const;
/** One of {@link RECIPE_BASES}. */
export type RecipeBase = typeof RECIPE_BASES[number];

/**
 * The recipe's image on `base`: that Debian's systemd, the tree from debian-12.
 *
 * @param base The Debian release it is built on. @default "13"
 * @returns Its name.
 */
export function recipeImage(base: RecipeBase = "13"): string {
  return `${IMAGE_REPO}-recipe:debian-${base}`;
}

/**
 * The nginx example's image on `tag`.
 *
 * @param tag The image it is built from.
 * @returns Its name.
 */
export function serviceLogsImage(tag: ImageTag): string {
  return `${IMAGE_REPO}-nginx:debian-${tag}`;
}

/**
 * Builds docs/service-logs/Dockerfile from the image of `tag` (`docker build`; Debian's
 * nginx is installed with apt-get, so it needs the network unless cached).
 *
 * @param tag The image to build from.
 * @returns The result of `docker build`.
 */
export function buildServiceLogsImage(tag: ImageTag): Promise<CommandResult> {
  return docker([
    "build",
    "-q",
    "--build-arg",
    `CSD_IMAGE=${imageName(tag)}`,
    "-t",
    serviceLogsImage(tag),
    SERVICE_LOGS_DIR,
  ], { timeoutMs: 600_000 });
}

/**
 * Builds docs/recipe/Dockerfile on `base` with the tree of the debian-12 image.
 *
 * @param base The Debian release to build on. @default "13"
 * @returns The result of `docker build`.
 */
export function buildRecipeImage(base: RecipeBase = "13"): Promise<CommandResult> {
  return docker([
    "build",
    "-q",
    "--build-arg",
    `CSD_IMAGE=${imageName("12")}`,
    "--build-arg",
    `BASE_IMAGE=debian:${base}-slim`,
    "-t",
    recipeImage(base),
    RECIPE_DIR,
  ], { timeoutMs: 600_000 });
}
