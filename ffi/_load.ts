/**
 * Loading a shared library once (dlopen(3)), for libc.ts and libsystemd.ts.
 *
 * @module
 */

/**
 * Opens the first of `paths` that loads, with `symbols`.
 *
 * @param name The library, for the error message, e.g. "libsystemd.so.0".
 * @param paths Where to look, in order.
 * @param symbols The symbol table.
 * @returns The loaded library.
 * @throws {Deno.errors.PermissionDenied} Without `--allow-ffi`, unchanged.
 * @throws {Error} If none loads; the message lists what was tried, the cause is the
 *   last failure.
 */
export function loadLibrary<S extends Deno.ForeignLibraryInterface>(
  name: string,
  paths: readonly string[],
  symbols: S,
): Deno.DynamicLibrary<S> {
  const errors: string[] = [];
  let cause: unknown;
  for (const path of paths) {
    try {
      return Deno.dlopen(path, symbols);
    } catch (e) {
      if (e instanceof Deno.errors.PermissionDenied) throw e;
      errors.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      cause = e;
    }
  }
  throw new Error(`Cannot load ${name}: tried ${errors.join("; ")}`, { cause });
}
