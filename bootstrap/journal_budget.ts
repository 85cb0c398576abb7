/**
 * The runtime journal's size, bounded by the container's memory limit.
 *
 * journald keeps the journal in /run (the image sets `Storage=volatile`), a tmpfs whose
 * pages are charged to the container's memory. Its default cap, `RuntimeMaxUse=`, is
 * 10 % of that tmpfs, sized from the host's RAM, never from the container's limit, so a
 * chatty service made a limited container OOM-kill itself. The bootstrap writes a
 * journald drop-in under /run at every start that caps the journal at a small share of
 * the limit (journald.conf(5)); the runtime keeps the log, the journal is only the
 * agent's buffer. A user's own `Runtime*=` setting wins: then nothing is written.
 *
 * @module
 */
import { readIfExists } from "./_read.ts";
import type { MemoryLimit } from "./memory_limit.ts";

const MIB = 1024 * 1024;

/** The journal's cap without a memory limit. */
export const UNLIMITED_JOURNAL_BYTES = 64 * MIB;
/** The share of the memory limit the journal may use: 1/4. */
export const JOURNAL_SHARE = 4;
/** The smallest cap (journald needs room for a few files of at least 512 KiB). */
export const MIN_JOURNAL_BYTES = 4 * MIB;
/** How many files the journal is split into (journald's own default ratio, 1/8). */
export const JOURNAL_FILES = 8;

/** Where the bootstrap writes its drop-in (journald.conf(5): /run/systemd/journald.conf.d). */
export const JOURNAL_DROPIN_DIR = "/run/systemd/journald.conf.d";
/**
 * The drop-in's name. It sorts first, so that any other drop-in with a `Runtime*=`
 * setting that {@link userJournalSettings} does not know of still wins.
 */
export const JOURNAL_DROPIN_NAME = "00-containering-systemd-memory.conf";

/** The journald settings for a memory limit. */
export interface JournalBudget {
  /** `RuntimeMaxUse=` in bytes. */
  maxUse: number;
  /** `RuntimeMaxFileSize=` in bytes. */
  maxFileSize: number;
}

/**
 * The cap for a memory limit: 1/4 of the limit, at least 4 MiB, at most 64 MiB; 64 MiB
 * without a limit. Whole MiB, so that journald's own rounding changes nothing.
 *
 * @param limitBytes The container's memory limit, or undefined for none.
 * @returns `RuntimeMaxUse=` and `RuntimeMaxFileSize=` (1/8 of it, at least 512 KiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(journalBudget(128 * 1024 * 1024).maxUse, 32 * 1024 * 1024);
 * ```
 */
export function journalBudget(limitBytes: number | undefined): JournalBudget {
  const share = limitBytes === undefined ? UNLIMITED_JOURNAL_BYTES : limitBytes / JOURNAL_SHARE;
  const mib = Math.floor(
    Math.min(UNLIMITED_JOURNAL_BYTES, Math.max(MIN_JOURNAL_BYTES, share)) / MIB,
  );
  const maxUse = mib * MIB;
  return { maxUse, maxFileSize: Math.max(512 * 1024, Math.floor(maxUse / JOURNAL_FILES)) };
}

/** journald.conf(5) settings that size the runtime journal. */
const RUNTIME_SETTINGS =
  /^\s*(RuntimeMaxUse|RuntimeKeepFree|RuntimeMaxFileSize|RuntimeMaxFiles)\s*=\s*\S/;

/**
 * The `Runtime*=` settings in a journald configuration file's `[Journal]` section.
 *
 * @param text The file's text.
 * @returns e.g. `["RuntimeMaxUse"]`; empty if it sets none.
 */
export function runtimeSettings(text: string): string[] {
  const found: string[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t.startsWith("[")) section = t;
    else if (section === "[Journal]") {
      const m = RUNTIME_SETTINGS.exec(t);
      if (m?.[1]) found.push(m[1]);
    }
  }
  return found;
}

/**
 * The configuration files an image or a user may set journald's sizes in
 * (journald.conf(5): the main file and the drop-in directories, /run excluded).
 *
 * @param readDir Lists the `*.conf` names in a directory, sorted; [] if it is missing.
 * @returns Paths, the main file first.
 */
export function journaldConfigFiles(
  readDir: (dir: string) => string[] = listConf,
): string[] {
  const files = ["/etc/systemd/journald.conf"];
  for (
    const dir of [
      "/etc/systemd/journald.conf.d",
      "/usr/local/lib/systemd/journald.conf.d",
      "/usr/lib/systemd/journald.conf.d",
    ]
  ) {
    for (const name of readDir(dir)) files.push(`${dir}/${name}`);
  }
  return files;
}

function listConf(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".conf"))
      .sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
}

/**
 * The first configuration file (main file or drop-in, outside /run) that sizes the
 * runtime journal itself.
 *
 * @param files The files to look at. @default {@link journaldConfigFiles}()
 * @param read Reads a file, undefined if it does not exist.
 * @returns `{ file, settings }`, or undefined if none does.
 */
export function userJournalSettings(
  files: string[] = journaldConfigFiles(),
  read: (path: string) => string | undefined = readIfExists,
): { file: string; settings: string[] } | undefined {
  for (const file of files) {
    const text = read(file);
    if (text === undefined) continue;
    const settings = runtimeSettings(text);
    if (settings.length > 0) return { file, settings };
  }
  return undefined;
}

/**
 * Formats bytes as journald.conf(5) takes them.
 *
 * @param bytes A size.
 * @returns Whole MiB with "M" (e.g. "16M"), else KiB rounded up with "K".
 */
export function formatSize(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB}M` : `${Math.ceil(bytes / 1024)}K`;
}

/**
 * The drop-in's text.
 *
 * @param budget The sizes.
 * @param limit The memory limit they come from, or undefined for none.
 * @returns journald.conf(5) syntax; the first comment line names the limit and its source
 *   (`containering-systemd doctor` shows it).
 */
export function journalDropIn(budget: JournalBudget, limit: MemoryLimit | undefined): string {
  return [
    `# memory limit: ${limit ? `${limit.bytes} bytes (${limit.source})` : "none"}`,
    '# Written by systemd-bootstrap at every start (docs/bootstrap.md, "Memory"): the',
    "# runtime journal in /run is charged to the container's memory, so it is capped at",
    "# 1/4 of the limit (4 to 64 MiB; 64 MiB without a limit). To choose yourself, set",
    "# RuntimeMaxUse= in /etc/systemd/journald.conf.d/*.conf: then this file is not written.",
    "[Journal]",
    `RuntimeMaxUse=${formatSize(budget.maxUse)}`,
    `RuntimeMaxFileSize=${formatSize(budget.maxFileSize)}`,
    "",
  ].join("\n");
}

/** What {@link writeJournalBudget} did. */
export type JournalBudgetResult =
  | { written: true; path: string; budget: JournalBudget; limit: MemoryLimit | undefined }
  | { written: false; file: string; settings: string[]; limit: MemoryLimit | undefined };

/**
 * Writes the drop-in for `limit`, unless a configuration file already sizes the runtime
 * journal.
 *
 * @param limit The container's memory limit, or undefined for none.
 * @param options `dir`: where to write. @default {@link JOURNAL_DROPIN_DIR}
 * @returns What was written, or which file's settings were kept.
 * @throws {Deno.errors.PermissionDenied} If the directory cannot be written.
 */
export function writeJournalBudget(
  limit: MemoryLimit | undefined,
  options: { dir?: string; files?: string[] } = {},
): JournalBudgetResult {
  const user = userJournalSettings(options.files);
  if (user) return { written: false, ...user, limit };
  const dir = options.dir ?? JOURNAL_DROPIN_DIR;
  const budget = journalBudget(limit?.bytes);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = `${dir}/${JOURNAL_DROPIN_NAME}`;
  Deno.writeTextFileSync(path, journalDropIn(budget, limit), { mode: 0o644 });
  return { written: true, path, budget, limit };
}

/**
 * The memory limit the bootstrap recorded in its journald drop-in at the container's
 * start (inside a running container, /sys/fs/cgroup may be systemd's own cgroup2, which
 * no longer shows the limit).
 *
 * @param read Reads a file, undefined if it does not exist.
 * @returns The limit in bytes, or undefined if there is no drop-in or it names none.
 */
export function recordedMemoryLimit(read = readIfExists): number | undefined {
  const dropIn = read(`${JOURNAL_DROPIN_DIR}/${JOURNAL_DROPIN_NAME}`);
  const bytes = dropIn === undefined
    ? undefined
    : /^# memory limit: (\d+) bytes/m.exec(dropIn)?.[1];
  return bytes === undefined ? undefined : Number(bytes);
}

/**
 * One line for `containering-systemd doctor`: the memory limit and the journal's cap,
 * from the drop-in the bootstrap wrote, else from a user's settings, else as the
 * bootstrap would choose them now.
 *
 * @param read Reads a file, undefined if it does not exist.
 * @param limitNow Reads the memory limit now (used when no drop-in was written).
 * @returns e.g. "limit 256 MiB (/sys/fs/cgroup/...); runtime journal capped at 32M".
 */
export function describeJournalBudget(
  read: (path: string) => string | undefined = readIfExists,
  limitNow: () => MemoryLimit | undefined = () => undefined,
): string {
  const dropIn = read(`${JOURNAL_DROPIN_DIR}/${JOURNAL_DROPIN_NAME}`);
  if (dropIn !== undefined) {
    const limit = /^# memory limit: (.*)$/m.exec(dropIn)?.[1] ?? "unknown";
    const use = /^RuntimeMaxUse=(.*)$/m.exec(dropIn)?.[1] ?? "?";
    const file = /^RuntimeMaxFileSize=(.*)$/m.exec(dropIn)?.[1] ?? "?";
    return `limit ${limit}; runtime journal capped at ${use} (files of ${file}) by ` +
      `${JOURNAL_DROPIN_DIR}/${JOURNAL_DROPIN_NAME}`;
  }
  const user = userJournalSettings(journaldConfigFiles(), read);
  if (user) return `runtime journal sized by ${user.file} (${user.settings.join(", ")})`;
  const limit = limitNow();
  const budget = journalBudget(limit?.bytes);
  return `limit ${limit ? `${limit.bytes} bytes (${limit.source})` : "none"}; the ` +
    `bootstrap would cap the runtime journal at ${formatSize(budget.maxUse)}`;
}
