/**
 * journalagent's loop: resumes right after the last entry written, then reads the
 * journal batch by batch (source/), formats each entry on the way (format/) and
 * delivers each batch exactly once (sink/delivery.ts), until the stop signal; then
 * drains (drain.ts).
 *
 * @module
 */
import type { AgentConfig } from "./config.ts";
import { Drain, DRAIN_LIMIT_MS, type DrainOptions } from "./drain.ts";
import { OutputBuffer } from "./format/buffer.ts";
import { entryFormat } from "./format/formats.ts";
import { Delivery } from "./sink/delivery.ts";
import type { FdStore } from "./sink/fd_store.ts";
import type { OutputFds } from "./sink/output_fds.ts";
import { formatGap, formatUnreadable, GapDetector, gapStart } from "./source/gap.ts";
import { Journal } from "./source/journal.ts";
import { JournaldActivity } from "./source/journald_activity.ts";
import { TailScout } from "./source/tail_scout.ts";
import { EntryReader } from "./source/reader.ts";
import { resume, type ResumePoint } from "./source/resume.ts";

/** How long the journal must have been quiet before polling slows down, in ms. */
const QUIET_BEFORE_BACKOFF_MS = 2000;

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
  /** Entries journald removed before they were read (reported on stderr, source/gap.ts). */
  lost: number;
}

/** Options for {@link runAgent}. */
export interface RunAgentOptions extends DrainOptions {
  /** Where diagnostics go. @default a line on stderr (the journal, for the unit) */
  log?: (message: string) => void;
  /** The unit's fd store, for exactly-once staging. @default none: direct writes */
  fdStore?: FdStore;
}

/** Writes a line to this process's stderr, ignoring errors (journald may be gone). */
export function logLine(message: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`${message}\n`));
  } catch { /* nowhere left to report to */ }
}

/**
 * Forwards the journal to `fds` until `options.stop` fires, then drains and returns:
 * reads a batch (source/reader.ts), formats it on the way, delivers it (sink/delivery.ts).
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
  // Which entries journald has finished writing (source/tail_scout.ts, journald_activity.ts).
  using scoutJournal = Journal.open({ directory: config.directory });
  const scout = new TailScout(scoutJournal);
  const journald = new JournaldActivity();
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
    format: entryFormat(config.output),
    units: config.units,
    excludeUnits: config.excludeUnits,
    maxPriority: config.maxPriority,
    stderrPriority: config.stderrPriority,
    extraFields: config.extraFields,
    writer: { newest: () => scout.newest(), idle: () => journald.idle() },
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
    // A held tail entry (source/reader.ts) is not idle: it is read once journald is.
    if (options.stop.aborted && !r.held) {
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
  const how = !delivery.staged
    ? "written directly" +
      (delivery.stagingRefused === null
        ? ""
        : ` (the fd store refused the staging pipes: ${delivery.stagingRefused}` +
          (delivery.pipesLost ? "; repeating the last batch" : "") + ")")
    : "staged in the fd store" +
      (delivery.recovered > 0 ? `, ${delivery.recovered} staged bytes moved on` : "") +
      (delivery.dropped > 0
        ? `, ${delivery.dropped} staged bytes of an unsaved batch dropped`
        : "") +
      (delivery.pipesLost ? ", staging pipes lost: repeating the last batch" : "");
  return `${where} (output ${config.output}; stdout ${delivery.stdout.describe()}` +
    (delivery.shared ? "" : `, stderr ${delivery.stderr.describe()}`) +
    `, taken with ${fds.method}; ${how})`;
}
