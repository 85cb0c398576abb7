/**
 * The agent's stop: after SIGTERM it goes on writing for at most {@link DRAIN_LIMIT_MS},
 * and at the container's shutdown (PID 1 is systemd-shutdown) first waits for journald
 * to exit, so that every entry journald wrote reaches the output.
 *
 * @module
 */
import type { Journal } from "./source/journal.ts";

/** At shutdown, the longest wait for journald to exit, in ms. */
const JOURNALD_EXIT_WAIT_MS = 3000;
/** After SIGTERM, the longest time spent writing what is left, in ms. */
export const DRAIN_LIMIT_MS = 3000;
/** How often journald's liveness is checked at shutdown, in ms. */
const SHUTDOWN_POLL_MS = 10;

/** Options for {@link Drain}. */
export interface DrainOptions {
  /** Fires when the agent is to drain and stop. */
  stop: AbortSignal;
  /** Whether the container is shutting down, asked once when `stop` fires.
   * @default PID 1 is systemd-shutdown */
  isShutdown?: () => boolean;
}

/** Whether PID 1 is systemd-shutdown, i.e. the container is halting (comm is 15 chars). */
function pid1IsShutdown(): boolean {
  try {
    return Deno.readTextFileSync("/proc/1/comm").trim() === "systemd-shutdow";
  } catch {
    return false;
  }
}

/** The PIDs of running systemd-journald processes (proc(5) comm is cut at 15 chars). */
function journaldPids(): number[] {
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
function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * The phase after the stop signal: a drain limit, and at the container's shutdown a
 * wait for journald to exit, so that every entry it writes reaches the output.
 */
export class Drain {
  /** The clock time (performance.now) after which writing stops; Infinity until stop. */
  deadline = Infinity;
  readonly #options: DrainOptions;
  #journald: number[] = [];
  #journaldDeadline = 0;
  #finalPass = false;

  /**
   * Prepares the drain; nothing happens until the stop signal fires.
   *
   * @param options The stop signal, and whether the container is shutting down.
   */
  constructor(options: DrainOptions) {
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
   * @param journal The journal read from.
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
