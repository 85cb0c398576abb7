/**
 * journalagent's settings: their type, and for each its flag, environment variable and
 * usage text (config.ts parses them).
 *
 * @module
 */
import { OUTPUT_FORMATS, type OutputFormat } from "./format/names.ts";

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
  /** Journal fields added to each line of the `collector` and `logfmt` formats. @default [] */
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
    description: "journal fields added to the collector and logfmt formats (comma-separated)",
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
