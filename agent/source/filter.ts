/**
 * Which entries are forwarded: unit globs (include and exclude) and priority names.
 *
 * @module
 */
import picomatch from "picomatch";
import type { EntryFields } from "./entry.ts";
import { Known, nameHash } from "./known_fields.ts";

/** syslog(3) priority names, index = value (journalctl -p accepts the same). */
export const PRIORITY_NAMES = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
] as const;

/**
 * Parses a priority as journalctl's `-p` does: a name (`emerg`, `alert`, `crit`,
 * `err`, `warning`, `notice`, `info`, `debug`, case-insensitive) or a number 0-7.
 *
 * @param s The text, e.g. "err" or "3".
 * @returns 0 (emerg) .. 7 (debug).
 * @throws {SyntaxError} If `s` is neither, e.g. `Invalid priority "fatal": use emerg, alert, ...`.
 */
export function parsePriority(s: string): number {
  const t = s.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t);
  const i = (PRIORITY_NAMES as readonly string[]).indexOf(t);
  if (i >= 0) return i;
  throw new SyntaxError(
    `Invalid priority "${s}": use ${PRIORITY_NAMES.join(", ")} or 0-7`,
  );
}

/** The unit types of systemd.unit(5), the suffixes a unit name ends with. */
const UNIT_SUFFIX = /\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;

/**
 * Completes a unit name as `journalctl -u` does (unit_name_mangle() in systemd's
 * src/basic/unit-name.c): a name without a unit type suffix gets ".service"; a glob
 * (with `*`, `?` or `[`) is kept as it is.
 *
 * @param name A unit name or glob, e.g. "dbus" or "getty@*".
 * @returns e.g. "dbus.service", or the glob unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(mangleUnitName("dbus"), "dbus.service");
 * assert.equal(mangleUnitName("sshd.socket"), "sshd.socket");
 * ```
 */
export function mangleUnitName(name: string): string {
  if (/[*?[]/.test(name) || UNIT_SUFFIX.test(name)) return name;
  return `${name}.service`;
}

/** Options for {@link UnitFilter}. */
export interface UnitFilterOptions {
  /** Forward only entries about a unit matching one of these globs. @default all */
  units?: readonly string[];
  /** Drop entries about a unit matching one of these globs. @default none */
  excludeUnits?: readonly string[];
}

/** The MESSAGE_ID of systemd-coredump's "process dumped core" entries. */
const COREDUMP_MESSAGE_ID = "fc2e22bc6ee647b6b90729ab34a250b1";

/**
 * Matches entries against unit globs (picomatch syntax, e.g. `nginx.service`,
 * `app-*.service`, `*.scope`).
 *
 * An entry is "about" a unit as with `journalctl -u` (logs-show.c
 * add_matches_for_unit()): its `_SYSTEMD_UNIT`; `UNIT` when logged by PID 1 (`_PID=1`,
 * e.g. "Started nginx.service"); `COREDUMP_UNIT` of a coredump entry from root
 * (`MESSAGE_ID=fc2e22bc...`, `_UID=0`); and `OBJECT_SYSTEMD_UNIT` when logged by root.
 * With `units`, an entry passes if one of its units matches; with `excludeUnits`, it is
 * dropped if one of its units matches (so excluding a unit also drops PID 1's messages
 * about it). journalctl's extra rule for `.slice` names (`_SYSTEMD_SLICE=`) is not
 * applied. Results are cached per unit name, so the globs run once per unit.
 */
export class UnitFilter {
  #include: ((s: string) => boolean) | null;
  #exclude: ((s: string) => boolean) | null;
  // unit value bytes hash -> [bytes, included?, excluded?]
  #cache = new Map<number, { bytes: Uint8Array; inc: boolean; exc: boolean }[]>();
  #decoder = new TextDecoder();

  /**
   * Compiles the globs.
   *
   * @param options The globs.
   * @throws {TypeError} If a glob is empty.
   */
  constructor(options: UnitFilterOptions) {
    const compile = (globs: readonly string[] | undefined) => {
      if (!globs || globs.length === 0) return null;
      for (const g of globs) if (g === "") throw new TypeError("Unit glob is empty");
      return picomatch(globs.map(mangleUnitName), { dot: true });
    };
    this.#include = compile(options.units);
    this.#exclude = compile(options.excludeUnits);
  }

  /** Whether the filter lets every entry through. */
  get empty(): boolean {
    return this.#include === null && this.#exclude === null;
  }

  /**
   * Whether `entry` passes.
   *
   * @param entry The entry's fields.
   */
  accepts(entry: EntryFields): boolean {
    if (this.empty) return true;
    let included = this.#include === null;
    const k = entry.known;
    const check = (i: number) => {
      if (i < 0) return false;
      const r = this.#lookup(entry, i);
      if (r.exc) return true; // excluded: stop
      if (r.inc) included = true;
      return false;
    };
    if (check(k[Known._SYSTEMD_UNIT]!)) return false;
    if (entry.knownNumber(Known._PID) === 1 && check(k[Known.UNIT]!)) return false;
    const root = entry.knownNumber(Known._UID) === 0;
    if (root) {
      if (
        k[Known.COREDUMP_UNIT]! >= 0 && entry.knownText(Known.MESSAGE_ID) === COREDUMP_MESSAGE_ID &&
        check(k[Known.COREDUMP_UNIT]!)
      ) return false;
      if (check(k[Known.OBJECT_SYSTEMD_UNIT]!)) return false;
    }
    return included;
  }

  #lookup(entry: EntryFields, i: number): { inc: boolean; exc: boolean } {
    const d = entry.data;
    const s = entry.eqs[i]! + 1;
    const e = entry.ends[i]!;
    const h = nameHash(d, s, e);
    let bucket = this.#cache.get(h);
    if (bucket) {
      outer: for (const c of bucket) {
        if (c.bytes.length !== e - s) continue;
        for (let k = 0; k < c.bytes.length; k++) if (c.bytes[k] !== d[s + k]) continue outer;
        return c;
      }
    } else {
      bucket = [];
      this.#cache.set(h, bucket);
    }
    const bytes = d.slice(s, e);
    const name = this.#decoder.decode(bytes);
    const r = {
      bytes,
      inc: this.#include !== null && this.#include(name),
      exc: this.#exclude !== null && this.#exclude(name),
    };
    if (this.#cache.size < 10_000) bucket.push(r);
    return r;
  }
}
