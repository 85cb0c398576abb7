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
import { parsePriority, PRIORITY_NAMES } from "./filter.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./reader.ts";

/** The exit code for a configuration error (sysexits.h EX_CONFIG); the unit does not restart on it. */
export const EXIT_CONFIG = 78;

/** journalagent's settings, validated. */
export interface AgentConfig {
  /** Output format of each forwarded entry. @default "json" */
  output: OutputFormat;
  /** Forward only entries of units matching one of these globs; empty: all. @default [] */
  units: string[];
  /** Do not forward entries of units matching one of these globs. @default [] */
  excludeUnits: string[];
  /** Forward only entries with PRIORITY at or below this (0 emerg .. 7 debug). @default 7 */
  maxPriority: number;
  /** Entries with PRIORITY at or below this go to stderr; -1: none. @default -1 */
  stderrPriority: number;
  /** Journal fields added to each line of the `collector` format. @default [] */
  extraFields: string[];
  /** Milliseconds between looks for new entries while entries keep coming. @default 20 */
  pollIntervalMs: number;
  /** The longest wait between looks once the journal has been quiet a while. @default 100 */
  idlePollIntervalMs: number;
  /** Bytes of formatted entries written per write(2) batch, at most. @default 262144 */
  batchBytes: number;
  /** Where the cursor of the last written entry is kept. @default "/run/journalagent/cursor" */
  cursorFile: string;
  /** Read this journal directory instead of the system journal. @default undefined */
  directory?: string;
  /** The process whose stdout/stderr copies are taken. @default 1 */
  sourcePid: number;
}

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
   */
  constructor(setting: string, value: string, expected: string) {
    super(`invalid ${setting} ${JSON.stringify(value)}: expected ${expected}`);
    this.setting = setting;
  }
}

/** How one setting is named and parsed. */
export interface AgentOption {
  /** The key in {@link AgentConfig}. */
  key: keyof AgentConfig;
  /** The long flag, e.g. "--output". */
  flag: string;
  /** The environment variable, e.g. "JOURNALAGENT_OUTPUT". */
  env: string;
  /** Placeholder for the usage text, e.g. "FORMAT". */
  arg: string;
  /** One-line description for the usage text. */
  description: string;
  /** The default, as text for the usage text (undefined: none). */
  defaultText?: string;
  /** Whether the flag may repeat (values are joined with commas). */
  repeatable?: boolean;
}

/** Every setting, in the order the usage text and the README list them. */
export const AGENT_OPTIONS: readonly AgentOption[] = [
  {
    key: "output",
    flag: "--output",
    env: "JOURNALAGENT_OUTPUT",
    arg: "FORMAT",
    description: `line format: ${OUTPUT_FORMATS.join(", ")}`,
    defaultText: "json",
  },
  {
    key: "units",
    flag: "--unit",
    env: "JOURNALAGENT_UNITS",
    arg: "GLOBS",
    description: "forward only these units (comma-separated globs, as journalctl -u)",
    repeatable: true,
  },
  {
    key: "excludeUnits",
    flag: "--exclude-unit",
    env: "JOURNALAGENT_EXCLUDE_UNITS",
    arg: "GLOBS",
    description: "do not forward these units (comma-separated globs)",
    repeatable: true,
  },
  {
    key: "maxPriority",
    flag: "--max-priority",
    env: "JOURNALAGENT_MAX_PRIORITY",
    arg: "PRIORITY",
    description: "forward only entries at this priority or more urgent (0-7 or emerg..debug)",
    defaultText: "debug",
  },
  {
    key: "stderrPriority",
    flag: "--stderr-priority",
    env: "JOURNALAGENT_STDERR_PRIORITY",
    arg: "PRIORITY",
    description: "entries at this priority or more urgent go to stderr (0-7, emerg..debug, none)",
    defaultText: "none",
  },
  {
    key: "extraFields",
    flag: "--extra-fields",
    env: "JOURNALAGENT_EXTRA_FIELDS",
    arg: "FIELDS",
    description: "journal fields added to the collector format (comma-separated)",
    repeatable: true,
  },
  {
    key: "pollIntervalMs",
    flag: "--poll-interval",
    env: "JOURNALAGENT_POLL_INTERVAL",
    arg: "MS",
    description: "milliseconds between looks for new entries (1-1000)",
    defaultText: "20",
  },
  {
    key: "idlePollIntervalMs",
    flag: "--idle-poll-interval",
    env: "JOURNALAGENT_IDLE_POLL_INTERVAL",
    arg: "MS",
    description:
      "the same once the journal has been quiet for a while (>= poll interval, <= 10000)",
    defaultText: "100",
  },
  {
    key: "batchBytes",
    flag: "--batch-bytes",
    env: "JOURNALAGENT_BATCH_BYTES",
    arg: "BYTES",
    description: "bytes written per batch at most (4096-16777216)",
    defaultText: "262144",
  },
  {
    key: "cursorFile",
    flag: "--cursor-file",
    env: "JOURNALAGENT_CURSOR_FILE",
    arg: "PATH",
    description: "where the position of the last written entry is kept",
    defaultText: "/run/journalagent/cursor",
  },
  {
    key: "directory",
    flag: "--directory",
    env: "JOURNALAGENT_DIRECTORY",
    arg: "PATH",
    description: "read the journal files in this directory instead of the system journal",
  },
  {
    key: "sourcePid",
    flag: "--source-pid",
    env: "JOURNALAGENT_SOURCE_PID",
    arg: "PID",
    description: "take the stdout/stderr copies from this process instead of PID 1",
    defaultText: "1",
  },
];

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
