/**
 * Exactly-once delivery of formatted batches to the container's stdout and stderr: the
 * one place that knows the protocol.
 *
 * With the fd store (staging.ts): each batch is **staged** into the slot's staging pipe
 * that PID 1 keeps, the cursor is **saved** naming that slot, then the slot is **moved**
 * into the container's pipe with splice(2). At the next start, {@link Delivery.open}
 * **recovers**: the rest of a batch whose cursor was saved is moved on, a batch staged
 * but not saved is thrown away (its entries come after the saved cursor and are read
 * again). At a drain, {@link Delivery.finish} saves the cursor once more without a slot,
 * so that a start with an emptied fd store does not repeat the last batch.
 *
 * Without the fd store (or when an output is not a pipe), a batch is written directly
 * with one write(2) per output once it fits, and the cursor saved right after: a kill
 * between the two repeats at most that batch.
 *
 * A kill can land between any two steps; {@link DeliveryOptions.beforeStep} names them
 * so that the tests can stand a thrown error in for the kill.
 *
 * @module
 */
import { CursorStore } from "./cursor_store.ts";
import type { FdStore } from "./fd_store.ts";
import { OutputSink } from "./output_sink.ts";
import { StagedOutput } from "./staging.ts";

/** A step of one staged batch: a kill before it leaves the batch as the step before did. */
export type DeliveryStep = "stage" | "save" | "move";

/** Room in a staging pipe kept for the line a reader may add past its limit. */
const LINE_MARGIN = 65_536;

/** Options for {@link Delivery.open}. */
export interface DeliveryOptions {
  /** The cursor file (see cursor_store.ts). */
  cursorFile: string;
  /** The fd store for the staging pipes (four places). @default none: direct writes */
  fdStore?: FdStore;
  /** The clock of the deadlines, in ms. @default performance.now */
  now?: () => number;
  /** Called before each step of a staged batch (tests throw here to stand for a kill).
   * @default none */
  beforeStep?: (step: DeliveryStep) => void;
}

/** What was delivered since {@link Delivery.open}. */
export interface DeliveryStats {
  /** Batches delivered. */
  batches: number;
  /** Bytes delivered to stdout and stderr together. */
  bytes: number;
  /** Batches written directly that took more than one write(2) per output (not atomic). */
  splitBatches: number;
}

/** The container's stdout and stderr, written batch by batch, each batch exactly once. */
export class Delivery implements Disposable {
  /** The container's stdout. */
  readonly stdout: OutputSink;
  /** The container's stderr (the same sink as {@link stdout} when they are one fd). */
  readonly stderr: OutputSink;
  /** Whether stdout and stderr are the same pipe or terminal (room counted once). */
  readonly shared: boolean;
  /** Where reading resumes: the cursor of the last entry delivered, or null. */
  readonly resumeCursor: string | null;
  /** Bytes of a saved batch that {@link open} moved on (left over from a kill). */
  readonly recovered: number;
  /** Bytes of a batch staged but not saved that {@link open} threw away (from a kill). */
  readonly dropped: number;
  /** Whether the staging pipes did not come back although a batch was saved in one. */
  readonly pipesLost: boolean;
  /**
   * Why batches are written directly although an fd store was given: the store refused
   * the staging pipes (e.g. ECONNREFUSED when PID 1 had already stopped listening at a
   * shutdown), or null.
   */
  readonly stagingRefused: string | null;
  /** What was delivered. */
  readonly stats: DeliveryStats = { batches: 0, bytes: 0, splitBatches: 0 };
  readonly #store: CursorStore;
  readonly #stages: { stdout: StagedOutput; stderr: StagedOutput } | null;
  readonly #stageLimit: number;
  readonly #now: () => number;
  readonly #beforeStep: (step: DeliveryStep) => void;
  #slot: 0 | 1;
  #last: string | null;
  #stagedLeft = false;

  private constructor(
    sinks: { stdout: OutputSink; stderr: OutputSink; shared: boolean },
    store: CursorStore,
    stages: { stdout: StagedOutput; stderr: StagedOutput } | null,
    options: DeliveryOptions,
    state: {
      resume: string | null;
      slot: 0 | 1;
      recovered: number;
      dropped: number;
      pipesLost: boolean;
      stagingRefused: string | null;
    },
  ) {
    this.stdout = sinks.stdout;
    this.stderr = sinks.stderr;
    this.shared = sinks.shared;
    this.#store = store;
    this.#stages = stages;
    this.#stageLimit = stages === null
      ? Infinity
      : Math.min(stages.stdout.capacity, stages.stderr.capacity) - LINE_MARGIN;
    this.#now = options.now ?? (() => performance.now());
    this.#beforeStep = options.beforeStep ?? (() => {});
    this.resumeCursor = state.resume;
    this.#last = state.resume;
    this.#slot = state.slot;
    this.recovered = state.recovered;
    this.dropped = state.dropped;
    this.pipesLost = state.pipesLost;
    this.stagingRefused = state.stagingRefused;
  }

  /**
   * Opens the outputs and the cursor file, takes the staging pipes from the fd store
   * (or makes them), and recovers what a killed predecessor left: moves on the rest of
   * the batch its saved cursor names, throws away a batch it staged but did not save.
   * If the pipes are new although a batch was saved in one (the fd store was emptied,
   * e.g. by a stop and a start), resumes before that batch: repeated rather than lost.
   * If the staging pipes cannot be made or handed to the fd store, batches are written
   * directly ({@link stagingRefused} says why; a batch saved in a slot is repeated).
   *
   * @param fds The container's stdout and stderr (non-blocking; may be the same fd).
   * @param options The cursor file, the fd store, and test hooks.
   * @returns The delivery, with {@link resumeCursor} where reading resumes.
   * @throws {OsError} If a saved batch cannot be moved on.
   * @throws {Deno.errors.PermissionDenied} If the cursor file cannot be read.
   */
  static async open(
    fds: { stdout: number; stderr: number },
    options: DeliveryOptions,
  ): Promise<Delivery> {
    const stdout = new OutputSink(fds.stdout);
    const stderr = fds.stderr === fds.stdout ? stdout : new OutputSink(fds.stderr);
    const shared = stderr === stdout || stderr.target === stdout.target;
    const store = new CursorStore(options.cursorFile);
    const saved = store.load();
    let stages: { stdout: StagedOutput; stderr: StagedOutput } | null = null;
    let stagingRefused: string | null = null;
    if (options.fdStore && stdout.pipeSize > 0 && stderr.pipeSize > 0) {
      // Staging is how a kill repeats nothing, but forwarding comes first: if the pipes
      // cannot be staged, batches are written directly. The case seen: an agent started
      // late in a shutdown (a main unit failing at once on a loaded machine) sent READY=1,
      // the manager went on to exit and closed its notify socket, and handing the pipes
      // over failed with ECONNREFUSED; the agent used to exit on it, and the log was empty.
      let s: StagedOutput | null = null;
      try {
        s = StagedOutput.open(stdout, options.fdStore, "stage-stdout");
        stages = {
          stdout: s,
          stderr: shared ? s : StagedOutput.open(stderr, options.fdStore, "stage-stderr"),
        };
      } catch (e) {
        s?.close();
        stagingRefused = e instanceof Error ? e.message : String(e);
      }
    }
    const savedSlot = saved?.slot === 0 || saved?.slot === 1 ? saved.slot : null;
    const unique = stages === null ? [] : [...new Set([stages.stdout, stages.stderr])];
    const state = {
      resume: saved?.cursor ?? null,
      slot: (savedSlot === 0 ? 1 : 0) as 0 | 1,
      recovered: 0,
      dropped: 0,
      pipesLost: false,
      stagingRefused,
    };
    if (savedSlot !== null && (stagingRefused !== null || unique.some((s) => !s.reused))) {
      state.resume = saved?.previous ?? null;
      state.pipesLost = true;
    } else {
      for (const stage of unique) {
        if (savedSlot === null) {
          state.dropped += stage.discard(0) + stage.discard(1);
          continue;
        }
        state.recovered += stage.pending(savedSlot);
        await stage.flush(savedSlot);
        state.dropped += stage.discard(savedSlot === 0 ? 1 : 0);
      }
    }
    return new Delivery({ stdout, stderr, shared }, store, stages, options, state);
  }

  /** Whether batches go through the staging pipes (exactly once across kills). */
  get staged(): boolean {
    return this.#stages !== null;
  }

  /**
   * How many bytes the next batch may hold: `limit`, less what the outputs can take
   * right now without blocking (direct writes) or what a staging pipe takes whole.
   *
   * @param limit The configured batch size.
   * @returns The room, at least 1 (a batch of one entry always goes).
   */
  room(limit: number): number {
    const room = this.#stages !== null
      ? Math.min(limit, this.#stageLimit)
      : Math.min(limit, this.stdout.space(), this.stderr.space());
    return Math.max(room, 1);
  }

  /**
   * Delivers one batch: its stdout and stderr parts, which end with the entry of
   * `cursor`.
   *
   * @param stdout The bytes for stdout.
   * @param stderr The bytes for stderr.
   * @param cursor The cursor of the batch's last entry.
   * @param deadline Give up at this clock time (see {@link DeliveryOptions.now}).
   *   @default never
   * @returns true when the batch was delivered; false if the deadline passed first
   *   (a staged batch's rest then stays staged for the next start; a direct batch was
   *   not written).
   * @throws {OsError} If the output cannot be written (e.g. EPIPE) or the cursor saved.
   */
  async deliver(
    stdout: Uint8Array<ArrayBuffer>,
    stderr: Uint8Array<ArrayBuffer>,
    cursor: string,
    deadline = Infinity,
  ): Promise<boolean> {
    const o = stdout.length;
    const e = stderr.length;
    const s = this.#stages;
    // A batch too big for a staging pipe (one overlong entry) is written directly.
    const fits = (this.shared ? o + e : Math.max(o, e)) <= this.#stageLimit + LINE_MARGIN;
    const done = s !== null && fits
      ? await this.#staged(s, stdout, stderr, cursor, deadline)
      : await this.#direct(stdout, stderr, cursor, deadline);
    if (!done) return false;
    this.#last = cursor;
    this.stats.bytes += o + e;
    this.stats.batches++;
    return true;
  }

  async #staged(
    s: { stdout: StagedOutput; stderr: StagedOutput },
    stdout: Uint8Array<ArrayBuffer>,
    stderr: Uint8Array<ArrayBuffer>,
    cursor: string,
    deadline: number,
  ): Promise<boolean> {
    const slot = this.#slot;
    this.#beforeStep("stage");
    s.stdout.stage(slot, stdout);
    s.stderr.stage(slot, stderr);
    this.#beforeStep("save");
    this.#store.save(cursor, slot, this.#last);
    this.#beforeStep("move");
    const moved = await s.stdout.flush(slot, deadline, this.#now) &&
      await s.stderr.flush(slot, deadline, this.#now);
    this.#slot = slot === 0 ? 1 : 0;
    // Saved: the batch counts as delivered even if its rest waits for the next start.
    this.#last = cursor;
    this.#stagedLeft = !moved;
    return moved;
  }

  async #direct(
    stdout: Uint8Array<ArrayBuffer>,
    stderr: Uint8Array<ArrayBuffer>,
    cursor: string,
    deadline: number,
  ): Promise<boolean> {
    const o = stdout.length;
    const e = stderr.length;
    if (this.shared) {
      if (!await this.stdout.waitForSpace(o + e, deadline, this.#now)) return false;
    } else if (
      !await this.stdout.waitForSpace(o, deadline, this.#now) ||
      !await this.stderr.waitForSpace(e, deadline, this.#now)
    ) return false;
    // The writes and the cursor's system call follow each other with nothing in between
    // that could wait.
    this.#store.stage(cursor);
    let calls = 0;
    if (o > 0) calls += await this.stdout.write(stdout);
    if (e > 0) calls += await this.stderr.write(stderr);
    this.#store.commit();
    if (calls > (o > 0 ? 1 : 0) + (e > 0 ? 1 : 0)) this.stats.splitBatches++;
    return true;
  }

  /**
   * The final save at a drain: when nothing is left staged, saves the last cursor
   * without a slot, so that a start with a new fd store (after a stop and a start) does
   * not repeat the last batch.
   *
   * @throws {OsError} If the cursor cannot be saved.
   */
  finish(): void {
    if (this.#stages !== null && !this.#stagedLeft && this.#last !== null) {
      this.#store.save(this.#last);
    }
  }

  /** Closes the cursor file and this process's ends of the staging pipes. */
  close(): void {
    this.#store.close();
    this.#stages?.stdout.close();
    this.#stages?.stderr.close();
  }

  /** Closes ({@link close}). */
  [Symbol.dispose](): void {
    this.close();
  }
}
