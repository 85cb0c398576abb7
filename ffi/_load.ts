/**
 * Loading a shared library once (dlopen(3)), for libc.ts and libsystemd.ts, with each
 * symbol bound on its first use.
 *
 * Binding is what costs: Deno compiles a call trampoline for every symbol it is given,
 * about 0.3 ms each (libc.ts has 28, libsystemd.ts 25), several times that on a loaded
 * machine. The bootstrap calls a handful of them and the agent is ready after a few
 * more, so a symbol is bound (a one-symbol `Deno.dlopen` of the same library, which the
 * dynamic linker has open already) when it is first read; from then on it is a plain
 * property, as fast as one bound up front.
 *
 * @module
 */

/**
 * Opens the first of `paths` that loads; binds each of `symbols` when it is first read.
 *
 * @param name The library, for the error message, e.g. "libsystemd.so.0".
 * @param paths Where to look, in order.
 * @param symbols The symbol table.
 * @returns The library's symbols (optional ones `null` when absent), as
 *   `Deno.dlopen(path, symbols).symbols` would have them.
 * @throws {Deno.errors.PermissionDenied} Without `--allow-ffi`, unchanged.
 * @throws {Error} If none loads; the message lists what was tried, the cause is the
 *   last failure. (A required symbol the library lacks throws Deno's error where it is
 *   first read.)
 */
export function loadLibrary<S extends Deno.ForeignLibraryInterface>(
  name: string,
  paths: readonly string[],
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] {
  const path = findLibrary(name, paths);
  const bound = {} as Deno.DynamicLibrary<S>["symbols"];
  for (const key of Object.keys(symbols) as (keyof S & string)[]) {
    Object.defineProperty(bound, key, {
      configurable: true,
      enumerable: true,
      get() {
        const one = { [key]: symbols[key] } as Pick<S, typeof key>;
        const value = Deno.dlopen(path, one).symbols[key];
        Object.defineProperty(bound, key, { value, enumerable: true, writable: false });
        return value;
      },
    });
  }
  return bound;
}

/** The first of `paths` that dlopen(3) loads (kept open: the symbols need it). */
function findLibrary(name: string, paths: readonly string[]): string {
  const errors: string[] = [];
  let cause: unknown;
  for (const path of paths) {
    try {
      Deno.dlopen(path, {});
      return path;
    } catch (e) {
      if (e instanceof Deno.errors.PermissionDenied) throw e;
      errors.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      cause = e;
    }
  }
  throw new Error(`Cannot load ${name}: tried ${errors.join("; ")}`, { cause });
}
