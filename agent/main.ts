/**
 * journalagent's entrypoint: handles SIGTERM and SIGINT, validates the configuration,
 * takes the container's stdout/stderr from PID 1, tells the service manager it is
 * ready, then runs the loop (run.ts) until SIGTERM; reports a bad setting on the
 * container's stderr.
 *
 * @module
 */
import { type AgentConfig, ConfigError, EXIT_CONFIG, parseAgentConfig } from "./config.ts";
import { notifyReady } from "./ready.ts";
import { logLine, runAgent } from "./run.ts";
import { CursorStore } from "./sink/cursor_store.ts";
import { fdStoreSize, systemdFdStore } from "./sink/fd_store.ts";
import {
  EXIT_NO_OUTPUT,
  type OutputFds,
  OutputUnavailableError,
  takeOutputFds,
} from "./sink/output_fds.ts";
import { writeAll } from "./sink/write_all.ts";
import { OsError } from "../ffi/libc.ts";

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
    // open(2) failing (OsError) or mkdir failing (Deno's I/O errors carry an errno code).
    if (
      !(e instanceof OsError || e instanceof Error && typeof Reflect.get(e, "code") === "string")
    ) {
      throw e;
    }
    throw new ConfigError(
      "JOURNALAGENT_CURSOR_FILE",
      config.cursorFile,
      `a file the agent can write (${e.message}; outside /run/journalagent it needs ` +
        "ReadWritePaths= in a drop-in)",
      { cause: e },
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
  // The fd store's size (on systemd < 254, which sets no $FDSTORE, a `systemctl show`
  // of about 30 ms) is asked for now and awaited only once the output is taken and
  // READY=1 sent, so that it delays neither the boot nor the first forwarded entry.
  const storeSize = fdStoreSize(env);
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
  // closes PID 1's copies of it, on 257 and later at once). A manager that no longer
  // listens (it exits at the end of a shutdown) does not keep the agent from forwarding.
  try {
    notifyReady(env);
  } catch (e) {
    logLine(`journalagent: ${e instanceof Error ? e.message : String(e)}; forwarding anyway`);
  }
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
    const fdStore = await storeSize >= 4 ? store : undefined;
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
