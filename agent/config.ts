/**
 * journalagent's configuration: every setting can come from a command-line flag or from
 * an environment variable of the same meaning (the flag wins). Values are validated at
 * start; a bad one is reported in one line that names it, e.g.
 * `invalid JOURNALAGENT_OUTPUT "jsn": expected one of json, short-iso, ...`.
 *
 * The container entrypoint uses {@link parseAgentConfig} on its own environment to
 * report a bad value before systemd starts.
 *
 * @module
 */
import picomatch from "picomatch";
import { parsePriority, PRIORITY_NAMES } from "./source/filter.ts";
import { OUTPUT_FORMATS } from "./format/names.ts";
import { AGENT_OPTIONS, type AgentConfig, type AgentOption } from "./options.ts";

export type { AgentConfig } from "./options.ts";

/** The exit code for a configuration error (sysexits.h EX_CONFIG); the unit does not restart on it. */
export const EXIT_CONFIG = 78;

/** A configuration value that is invalid; the message names the setting and the value. */
export class ConfigError extends Error {
  /** "ConfigError". */
  override name = "ConfigError";
  /** The flag (`--output`) or environment variable (`JOURNALAGENT_OUTPUT`) at fault. */
  readonly setting: string;

  /**
   * Makes the error for one bad value.
   *
   * @param setting The flag or variable name.
   * @param value The value given.
   * @param expected What would have been valid.
   * @param options The error that showed the value invalid, if any.
   */
  constructor(setting: string, value: string, expected: string, options?: ErrorOptions) {
    super(`invalid ${setting} ${JSON.stringify(value)}: expected ${expected}`, options);
    this.setting = setting;
  }
}

/** Journal field names (systemd.journal-fields(7)): upper case, digits, underscore. */
const FIELD_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;
/** Characters allowed in a unit name glob: unit name characters, `@`, and glob syntax. */
const UNIT_GLOB = /^[A-Za-z0-9:_.@\\*?[\]!{}-]+$/;

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function parseUnitGlobs(setting: string, value: string): string[] {
  const globs = list(value);
  for (const g of globs) {
    let ok = UNIT_GLOB.test(g);
    if (ok) {
      try {
        picomatch(g);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new ConfigError(
        setting,
        value,
        `comma-separated unit names or globs (bad: ${JSON.stringify(g)})`,
      );
    }
  }
  return globs;
}

function parseLevel(setting: string, value: string, allowNone: boolean): number {
  const v = value.trim().toLowerCase();
  if (allowNone && (v === "none" || v === "-1")) return -1;
  try {
    return parsePriority(v);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  throw new ConfigError(
    setting,
    value,
    `0-7 or one of ${PRIORITY_NAMES.join(", ")}${allowNone ? ", none" : ""}`,
  );
}

function parseInteger(setting: string, value: string, min: number, max: number): number {
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(setting, value, `an integer from ${min} to ${max}`);
  }
  return n;
}

function parseValue(option: AgentOption, setting: string, value: string): unknown {
  switch (option.key) {
    case "output": {
      const v = value.trim();
      if (!(OUTPUT_FORMATS as readonly string[]).includes(v)) {
        throw new ConfigError(setting, value, `one of ${OUTPUT_FORMATS.join(", ")}`);
      }
      return v;
    }
    case "units":
    case "excludeUnits":
      return parseUnitGlobs(setting, value);
    case "maxPriority":
      return parseLevel(setting, value, false);
    case "stderrPriority":
      return parseLevel(setting, value, true);
    case "extraFields": {
      const fields = list(value);
      const bad = fields.find((f) => !FIELD_NAME.test(f));
      if (bad !== undefined) {
        throw new ConfigError(
          setting,
          value,
          `comma-separated journal field names such as SYSLOG_IDENTIFIER (bad: ${
            JSON.stringify(bad)
          })`,
        );
      }
      return fields;
    }
    case "pollIntervalMs":
      return parseInteger(setting, value, 1, 1000);
    case "idlePollIntervalMs":
      return parseInteger(setting, value, 1, 10_000);
    case "batchBytes":
      return parseInteger(setting, value, 4096, 16 * 1024 * 1024);
    case "cursorFile":
    case "directory": {
      const v = value.trim();
      if (!v.startsWith("/") || v.includes("\0") || v.endsWith("/")) {
        throw new ConfigError(setting, value, "an absolute file path");
      }
      return v;
    }
    case "sourcePid":
      return parseInteger(setting, value, 1, 4_194_304);
  }
}

/** The defaults of every setting. */
export function defaultAgentConfig(): AgentConfig {
  return {
    output: "json",
    units: [],
    excludeUnits: [],
    maxPriority: 7,
    stderrPriority: -1,
    extraFields: [],
    pollIntervalMs: 20,
    idlePollIntervalMs: 100,
    batchBytes: 256 * 1024,
    cursorFile: "/run/journalagent/cursor",
    sourcePid: 1,
  };
}

/** The prefix of the agent's environment variables. */
const ENV_PREFIX = "JOURNALAGENT_";

/**
 * Rejects a `JOURNALAGENT_*` variable that is no setting (a misspelt one would otherwise
 * be ignored without a word).
 *
 * @throws {ConfigError} Naming the variable and, where one is close, the setting meant.
 */
function checkNames(env: Record<string, string | undefined>): void {
  const known = AGENT_OPTIONS.map((o) => o.env);
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || known.includes(name)) continue;
    const near = known.find((k) => k.startsWith(name) || name.startsWith(k));
    const e = new ConfigError(name, env[name] ?? "", "");
    e.message = `unknown setting ${name}: ` +
      (near ? `did you mean ${near}?` : `the settings are ${known.join(", ")}`);
    throw e;
  }
}

/**
 * Builds the configuration from flags and environment variables; a flag overrides the
 * variable of the same meaning. Unknown keys are ignored (commander rejects unknown
 * flags before this runs).
 *
 * @param flags Flag values by long flag name without dashes (e.g. `output`,
 *   `exclude-unit`); a repeated flag's values joined by commas or given as an array.
 * @param env Environment variables, e.g. `Deno.env.toObject()`.
 * @returns The validated configuration.
 * @throws {ConfigError} For the first invalid value, naming the flag or variable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = parseAgentConfig({}, { JOURNALAGENT_OUTPUT: "cat", JOURNALAGENT_MAX_PRIORITY: "err" });
 * assert.equal(c.output, "cat");
 * assert.equal(c.maxPriority, 3);
 * ```
 */
export function parseAgentConfig(
  flags: Record<string, string | string[] | undefined>,
  env: Record<string, string | undefined>,
): AgentConfig {
  checkNames(env);
  const config = defaultAgentConfig() as unknown as Record<string, unknown>;
  for (const option of AGENT_OPTIONS) {
    const flagValue = flags[option.flag.slice(2)];
    const fromFlag = Array.isArray(flagValue) ? flagValue.join(",") : flagValue;
    const [setting, value] = fromFlag !== undefined
      ? [option.flag, fromFlag]
      : [option.env, env[option.env]];
    if (value === undefined) continue;
    if (value.trim() === "" && fromFlag === undefined) continue; // VAR= means unset
    config[option.key] = parseValue(option, setting, value);
  }
  const c = config as unknown as AgentConfig;
  if (c.idlePollIntervalMs < c.pollIntervalMs) {
    const o = AGENT_OPTIONS.find((o) => o.key === "idlePollIntervalMs")!;
    const setting = flags[o.flag.slice(2)] !== undefined ? o.flag : o.env;
    throw new ConfigError(
      setting,
      String(c.idlePollIntervalMs),
      `at least the poll interval (${c.pollIntervalMs})`,
    );
  }
  return c;
}
