/**
 * journalagent's process: takes the container's stdout/stderr from PID 1, resumes right
 * after the last entry it wrote, then forwards every journal entry, batch by batch,
 * saving the cursor after each batch that fully reached the output. On SIGTERM it drains:
 * at the container's shutdown (PID 1 is systemd-shutdown) it first waits for journald to
 * exit, so that every entry journald wrote reaches the output.
 *
 * @module
 */
import { type AgentConfig, ConfigError, EXIT_CONFIG, parseAgentConfig } from "./config.ts";
import { CursorStore } from "./cursor_store.ts";
import { EXIT_NO_OUTPUT, type OutputFds, OutputUnavailableError, takeOutputFds } from "./fd.ts";
import { Journal } from "./journal.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { EntryReader } from "./reader.ts";
import { formatGap, formatUnreadable, GapDetector, gapStart } from "./gap.ts";
import { type FdStore, fdStoreSize, systemdFdStore } from "./fd_store.ts";
import { notifyReady } from "./ready.ts";
import { Delivery } from "./sink/delivery.ts";
import { writeAll } from "./write_all.ts";

/** How long the journal must have been quiet before polling slows down, in ms. */
const QUIET_BEFORE_BACKOFF_MS = 2000;
/** At shutdown, the longest wait for journald to exit, in ms. */
const JOURNALD_EXIT_WAIT_MS = 3000;
/** After SIGTERM, the longest time spent writing what is left, in ms. */
const DRAIN_LIMIT_MS = 3000;
/** How often journald's liveness is checked at shutdown, in ms. */
const SHUTDOWN_POLL_MS = 10;

/** Where the agent resumed. */
export type ResumePoint = "after-cursor" | "at-cursor-successor" | "boot-start";

/**
 * Positions `journal` so that the next `journal.next()` returns the first entry not yet
 * written: right after the entry of `cursor` (sd_journal_seek_cursor(3), then
 * sd_journal_next(3) and sd_journal_test_cursor(3) to step over that entry), or, with
 * no cursor, before the first entry of the current boot.
 *
 * @param journal An open journal.
 * @param cursor The cursor of the last entry written, or null.
 * @returns Where it resumed: `after-cursor` (the entry was found), `at-cursor-successor`
 *   (that entry is gone, e.g. vacuumed; the next one after its position comes next), or
 *   `boot-start`.
 * @throws {JournalError} If the journal cannot be read.
 */
export function resume(journal: Journal, cursor: string | null): ResumePoint {
  if (cursor === null) {
    journal.seekBootStart();
    return "boot-start";
  }
  journal.seekCursor(cursor);
  if (journal.next() && journal.testCursor(cursor)) return "after-cursor";
  // The entry itself is gone: seek again so that next() lands on its closest successor.
  journal.seekCursor(cursor);
  return "at-cursor-successor";
}

/** What one run forwarded. */
export interface AgentStats {
  /** Entries consumed from the journal (forwarded or filtered out). */
  entries: number;
  /** Bytes written to stdout and stderr together. */
  bytes: number;
  /** Batches written. */
  batches: number;
  /** Batches that did not go in with one write(2) per output (split, so not atomic). */
  splitBatches: number;
  /** Entries journald removed before they were read (reported on stderr, gap.ts). */
  lost: number;
}

/** Options for {@link runAgent}. */
export interface RunAgentOptions {
  /** When aborted, the agent drains and returns. */
  stop: AbortSignal;
  /** Where diagnostics go. @default a line on stderr (the journal, for the unit) */
  log?: (message: string) => void;
  /** Whether the container is shutting down, asked once when `stop` fires.
   * @default PID 1 is systemd-shutdown */
  isShutdown?: () => boolean;
  /** The unit's fd store, for exactly-once staging. @default none: direct writes */
  fdStore?: FdStore;
}

/** Writes a line to this process's stderr, ignoring errors (journald may be gone). */
function logLine(message: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`${message}\n`));
  } catch { /* nowhere left to report to */ }
}

/** Whether PID 1 is systemd-shutdown, i.e. the container is halting (comm is 15 chars). */
export function pid1IsShutdown(): boolean {
  try {
    return Deno.readTextFileSync("/proc/1/comm").trim() === "systemd-shutdow";
  } catch {
    return false;
  }
}

/** The PIDs of running systemd-journald processes (proc(5) comm is cut at 15 chars). */
export function journaldPids(): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/comm`).trim() === "systemd-journal") {
        pids.push(Number(e.name));
      }
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

/** Whether process `pid` still runs (exists and is not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Forwards the journal to `fds` until `options.stop` fires, then drains and returns:
 * reads a batch (reader.ts), formats it on the way, delivers it (sink/delivery.ts).
 *
 * @param config The validated configuration.
 * @param fds Where entries go.
 * @param options The stop signal and hooks.
 * @returns What was forwarded.
 * @throws {JournalError} If the journal cannot be read.
 * @throws {OsError} If the output cannot be written (e.g. EPIPE).
 */
export async function runAgent(
  config: AgentConfig,
  fds: OutputFds,
  options: RunAgentOptions,
): Promise<AgentStats> {
  const log = options.log ?? logLine;
  using journal = Journal.open({ directory: config.directory });
  using delivery = await Delivery.open(fds, {
    cursorFile: config.cursorFile,
    fdStore: options.fdStore,
  });
  const resumeCursor = delivery.resumeCursor;
  const from = resume(journal, resumeCursor);
  log(startMessage(config, fds, delivery, from));
  // Entries journald removed before they were forwarded are reported, not skipped silently.
  const gaps = new GapDetector(gapStart(journal, from, resumeCursor));
  const reader = new EntryReader(journal, {
    format: config.output,
    units: config.units,
    excludeUnits: config.excludeUnits,
    maxPriority: config.maxPriority,
    stderrPriority: config.stderrPriority,
    extraFields: config.extraFields,
  });
  const buffers = {
    stdout: new OutputBuffer(Math.min(config.batchBytes, 1 << 20) + 65_536),
    stderr: new OutputBuffer(65_536),
  };
  let entries = 0;
  let lost = 0;
  const drain = new Drain(options);
  let interval = config.pollIntervalMs;
  let lastEntryAt = performance.now();
  for (;;) {
    if (drain.overdue()) {
      log(`Stopping with entries left unwritten (drain limit of ${DRAIN_LIMIT_MS} ms)`);
      break;
    }
    // Read no more than the outputs can take right now (backpressure), at least one entry.
    const r = reader.fill(buffers, delivery.room(config.batchBytes));
    if (r.entries > 0) {
      entries += r.entries;
      // Into the batch, so that the line reaches the output exactly once with it (not
      // logged: the journal would forward it a second time).
      for (const gap of gaps.check(r.firstCursor, r.cursor!, r.entries)) {
        buffers.stderr.appendAscii(`${formatGap(gap)}\n`);
        lost += gap.lost;
      }
      if (r.unreadable > 0) {
        buffers.stderr.appendAscii(`${formatUnreadable(r.unreadable)}\n`);
        lost += r.unreadable;
      }
      const done = await delivery.deliver(
        buffers.stdout.bytes(),
        buffers.stderr.bytes(),
        r.cursor!,
        drain.deadline,
      );
      if (!done) continue; // past the drain limit: the loop stops at its top
      buffers.stdout.reset();
      buffers.stderr.reset();
      interval = config.pollIntervalMs;
      lastEntryAt = performance.now();
      continue;
    }
    if (options.stop.aborted) {
      if (await drain.idle(journal)) break;
      continue;
    }
    if (performance.now() - lastEntryAt > QUIET_BEFORE_BACKOFF_MS) {
      interval = Math.min(interval * 2, config.idlePollIntervalMs);
    }
    await journal.wait(interval * 1000);
  }
  delivery.finish();
  return { entries, lost, ...delivery.stats };
}

/** The line logged at start: where reading resumes and how entries are delivered. */
function startMessage(
  config: AgentConfig,
  fds: OutputFds,
  delivery: Delivery,
  from: ResumePoint,
): string {
  const where = from === "boot-start"
    ? "Forwarding the journal from the start of the boot"
    : `Resuming ${
      from === "after-cursor" ? "after" : "at the successor of"
    } cursor ${delivery.resumeCursor}`;
  const how = !delivery.staged ? "written directly" : "staged in the fd store" +
    (delivery.recovered > 0 ? `, ${delivery.recovered} staged bytes moved on` : "") +
    (delivery.pipesLost ? ", staging pipes lost: repeating the last batch" : "");
  return `${where} (output ${config.output}; stdout ${delivery.stdout.describe()}` +
    (delivery.shared ? "" : `, stderr ${delivery.stderr.describe()}`) +
    `, taken with ${fds.method}; ${how})`;
}

/**
 * The phase after the stop signal: a drain limit, and at the container's shutdown a
 * wait for journald to exit, so that every entry it writes reaches the output.
 */
class Drain {
  /** The clock time (performance.now) after which writing stops; Infinity until stop. */
  deadline = Infinity;
  readonly #options: RunAgentOptions;
  #journald: number[] = [];
  #journaldDeadline = 0;
  #finalPass = false;

  constructor(options: RunAgentOptions) {
    this.#options = options;
  }

  /** Starts the drain when the stop signal has fired; whether its limit has passed. */
  overdue(): boolean {
    if (this.#options.stop.aborted && this.deadline === Infinity) {
      const now = performance.now();
      this.deadline = now + DRAIN_LIMIT_MS;
      if ((this.#options.isShutdown ?? pid1IsShutdown)()) {
        this.#journald = journaldPids();
        this.#journaldDeadline = now + JOURNALD_EXIT_WAIT_MS;
      }
    }
    return performance.now() >= this.deadline;
  }

  /**
   * Called when the journal has nothing new during the drain: waits a little while
   * journald may still write, then makes one more pass.
   *
   * @returns true when the drain is complete.
   */
  async idle(journal: Journal): Promise<boolean> {
    this.#journald = this.#journald.filter(isRunning);
    if (this.#journald.length > 0 && performance.now() < this.#journaldDeadline) {
      // journald may still write the last stop messages: keep forwarding meanwhile.
      await journal.wait(SHUTDOWN_POLL_MS * 1000);
      return false;
    }
    if (this.#finalPass) return true;
    // One more pass that first picks up files added meanwhile (e.g. the journal moved
    // back to /run by systemd-journal-flush.service's ExecStop).
    this.#finalPass = true;
    await journal.wait(0);
    return false;
  }
}

async function reportToContainer(message: string, fds: OutputFds | null): Promise<void> {
  const line = `journalagent: ${message}`;
  logLine(line);
  if (fds !== null) {
    try {
      await writeAll(fds.stderr, new TextEncoder().encode(`${line}\n`));
    } catch { /* the journal has it */ }
    return;
  }
  // No way to the container's output: a terminal given with `docker run -t` is the console.
  try {
    using f = Deno.openSync("/dev/console", { write: true });
    f.writeSync(new TextEncoder().encode(`${line}\r\n`));
  } catch { /* no console */ }
}

/**
 * Reports a command-line error (e.g. an unknown flag, found by the argument parser before
 * {@link agentMain} runs) like a bad setting: one line on this process's stderr and, best
 * effort, on the container's stderr.
 *
 * @param message The parser's message, e.g. `error: unknown option '--bogus'`.
 * @param env The environment holding SYSTEMD_STDERR_FILENO.
 * @returns {@link EXIT_CONFIG}.
 */
export async function reportUsageError(
  message: string,
  env: Record<string, string | undefined>,
): Promise<number> {
  let fds: OutputFds | null = null;
  try {
    fds = takeOutputFds(env);
  } catch (e) {
    if (!(e instanceof OutputUnavailableError)) throw e;
  }
  await reportToContainer(message.replace(/^error: /, ""), fds);
  return EXIT_CONFIG;
}

/**
 * Checks the paths of the configuration that only the running agent can check: the
 * journal directory exists and the cursor file can be written.
 *
 * @throws {ConfigError} Naming JOURNALAGENT_DIRECTORY or JOURNALAGENT_CURSOR_FILE.
 */
function checkPaths(config: AgentConfig): void {
  if (config.directory !== undefined) {
    let isDirectory = false;
    try {
      isDirectory = Deno.statSync(config.directory).isDirectory;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied)) {
        throw e;
      }
    }
    if (!isDirectory) {
      throw new ConfigError(
        "JOURNALAGENT_DIRECTORY",
        config.directory,
        "an existing directory of journal files",
      );
    }
  }
  const store = new CursorStore(config.cursorFile);
  try {
    store.open();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    throw new ConfigError(
      "JOURNALAGENT_CURSOR_FILE",
      config.cursorFile,
      `a file the agent can write (${e.message}; outside /run/journalagent it needs ` +
        "ReadWritePaths= in a drop-in)",
    );
  } finally {
    store.close();
  }
}

/**
 * The agent's entrypoint: handles SIGTERM and SIGINT, validates the configuration, takes
 * the output fds, tells the service manager it is ready (sd_notify(3) `READY=1`, see
 * ready.ts), runs until SIGTERM or SIGINT.
 *
 * @param flags Flag values by long name without dashes (see {@link parseAgentConfig}).
 * @param env The environment (JOURNALAGENT_*, SYSTEMD_STDOUT_FILENO, SYSTEMD_STDERR_FILENO).
 * @returns The exit code: 0 after a clean stop, {@link EXIT_CONFIG} for a bad setting,
 *   {@link EXIT_NO_OUTPUT} when the fds cannot be taken, 1 for other errors.
 */
export async function agentMain(
  flags: Record<string, string | string[] | undefined>,
  env: Record<string, string | undefined>,
): Promise<number> {
  // SIGTERM is handled from the start: at a shutdown that comes while the agent starts,
  // it then drains instead of dying.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    return await startAgent(flags, env, stop.signal);
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** {@link agentMain} once the signals are handled; `stop` fires on SIGTERM or SIGINT. */
async function startAgent(
  flags: Record<string, string | string[] | undefined>,
  env: Record<string, string | undefined>,
  stop: AbortSignal,
): Promise<number> {
  let config: AgentConfig | null = null;
  let configError: ConfigError | null = null;
  try {
    config = parseAgentConfig(flags, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    configError = e;
  }
  let fds: OutputFds;
  try {
    fds = takeOutputFds(env, { pid: config?.sourcePid ?? 1 });
  } catch (e) {
    if (!(e instanceof OutputUnavailableError)) throw e;
    await reportToContainer(configError?.message ?? e.message, null);
    return configError ? EXIT_CONFIG : EXIT_NO_OUTPUT;
  }
  // The output is ours now: a shutdown waiting for the agent may go on (systemd-shutdown
  // closes PID 1's copies of it, on 257 and later at once).
  notifyReady(env);
  if (configError !== null || config === null) {
    await reportToContainer(configError!.message, fds);
    return EXIT_CONFIG;
  }
  try {
    checkPaths(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await reportToContainer(e.message, fds);
    return EXIT_CONFIG;
  }
  if (fds.stdoutMissing) {
    await reportToContainer(
      "the container has no stdout (SYSTEMD_STDOUT_FILENO is not set): forwarding every " +
        "entry to stderr",
      fds,
    );
  }
  try {
    // Two staging pipes per output need 4 places in the fd store.
    const store = systemdFdStore(env);
    const fdStore = await fdStoreSize(env) >= 4 ? store : undefined;
    const stats = await runAgent(config, fds, { stop, fdStore });
    logLine(
      `Stopped after forwarding ${stats.entries} entries, ${stats.bytes} bytes in ` +
        `${stats.batches} batches (${stats.splitBatches} split)` +
        (stats.lost > 0 ? `; ${stats.lost} entries were lost before they were read` : ""),
    );
    return 0;
  } catch (e) {
    logLine(`journalagent: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
