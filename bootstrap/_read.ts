/**
 * Reading optional files (private to bootstrap/).
 *
 * @module
 */

/**
 * A file's text, or undefined where it does not exist or may not be read (a missing
 * cgroup file, a configuration file the image does not have).
 *
 * @param path The file.
 * @returns Its text, or undefined.
 * @throws {Deno.errors.NotADirectory} And any other error than NotFound and
 *   PermissionDenied, unchanged.
 */
export function readIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw e;
  }
}
