/**
 * The end-to-end test harness: real containers of the project's images, driven with the
 * Docker CLI. Every container has a name and a label, is killed when its deadline
 * passes, has its logs printed when a test fails, and is always removed.
 *
 * ```ts ignore
 * // Boots real containers: run it as part of the end-to-end tests only.
 * import assert from "node:assert/strict";
 * import { testEachImage } from "./harness.ts";
 *
 * testEachImage("boots to running", {}, async (c) => {
 *   const r = await c.exec(["systemctl", "is-system-running"]);
 *   assert.equal(r.stdout.trim(), "running");
 * });
 * ```
 *
 * Environment: DOCKER (client binary), CSD_IMAGE_REPO (image repository),
 * CSD_TEST_IMAGES (comma-separated tags: 12,13,sid by default, also 11 and the arm64 ones;
 * tests/images.ts), CSD_TEST_FLAGS (subset of
 * the flag sets).
 *
 * @module
 */
import { dockerBinary, imageName, type ImageTag, testImageTags } from "./images.ts";

/**
 * Named sets of `docker run` flags, as the README documents them.
 * - `minimal`: no --privileged; what systemd needs to manage cgroups.
 * - `privileged`: the original project's recipe.
 */
export const FLAG_SETS = {
  minimal: [
    "--cap-add",
    "SYS_ADMIN",
    "--cgroupns=private",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
  ],
  privileged: ["--privileged"],
} as const satisfies Record<string, readonly string[]>;

/** One of the {@link FLAG_SETS} names. */
export type FlagSet = keyof typeof FLAG_SETS;

/** The label put on every test container, so leftovers can be found and removed. */
export const TEST_LABEL = "containering-systemd.test=1";

/** The OCI runtime scripts/ensure_docker.sh registers where --privileged needs one. */
const PRIVILEGED_RUNTIME = "csd-privileged";

/** The result of a finished command. */
export interface CommandResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded as UTF-8 (invalid bytes replaced). */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
  /** Standard output as bytes. */
  stdoutBytes: Uint8Array;
  /** Standard error as bytes. */
  stderrBytes: Uint8Array;
}

const decoder = new TextDecoder();

/**
 * Runs the Docker client with `args`.
 *
 * @param args Arguments after `docker`.
 * @param options `stdin`: bytes or text to send; `timeoutMs`: kill the client after
 *   this long (default 120,000).
 * @returns The exit code and output; never throws for a non-zero exit.
 */
export async function docker(
  args: string[],
  options: { stdin?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const child = new Deno.Command(dockerBinary(), {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 120_000);
  try {
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(
        typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
      );
      await w.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      stdoutBytes: out.stdout,
      stderrBytes: out.stderr,
    };
  } finally {
    clearTimeout(timer);
  }
}

let runtimes: Promise<string> | undefined;

/** The extra flags a flag set needs on this engine (the runtime wrapper, if registered). */
async function engineFlags(flags: FlagSet): Promise<string[]> {
  if (flags !== "privileged") return [];
  runtimes ??= docker(["info", "--format", "{{json .Runtimes}}"]).then((r) => r.stdout);
  return (await runtimes).includes(`"${PRIVILEGED_RUNTIME}"`)
    ? ["--runtime", PRIVILEGED_RUNTIME]
    : [];
}

/** Options for {@link Container.start}. */
export interface StartOptions {
  /** The named flag set. @default "minimal" */
  flags?: FlagSet;
  /** Environment variables (`-e NAME=value`). */
  env?: Record<string, string>;
  /** Extra `docker run` flags, placed before the image name. */
  dockerArgs?: string[];
  /** Arguments after the image name (passed to systemd by the entrypoint). */
  args?: string[];
  /** Allocate a tty (`-t`). @default false */
  tty?: boolean;
  /** Wait until the system is running. @default true */
  waitRunning?: boolean;
  /** Treat "degraded" as booted. @default false */
  acceptDegraded?: boolean;
  /** Kill the container this long after start, whatever happens. @default 300,000 */
  deadlineMs?: number;
}

/** How a stop went. */
export interface StopResult {
  /** Wall time of `docker stop`, in milliseconds. */
  ms: number;
  /** The container's exit code. */
  exitCode: number;
}

/**
 * A suffix for container, Pod and task names that is unique in this test run: the test
 * files run in parallel workers of one Deno process (`deno test --parallel`), so the
 * process ID and a per-module counter are not enough.
 *
 * @returns `PID-XXXXXXXX` (8 random hex digits).
 */
export function uniqueSuffix(): string {
  return `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A running test container. Use with `await using` so it is always removed. */
export class Container implements AsyncDisposable {
  /** The container's name, e.g. "csd-test-12-minimal-4711-1". */
  readonly name: string;
  /** Which image it runs. */
  readonly tag: ImageTag;
  /** Which flag set it was started with. */
  readonly flags: FlagSet;
  #deadline: ReturnType<typeof setTimeout>;
  #removed = false;

  private constructor(
    name: string,
    tag: ImageTag,
    flags: FlagSet,
    deadlineMs: number,
  ) {
    this.name = name;
    this.tag = tag;
    this.flags = flags;
    this.#deadline = setTimeout(() => {
      console.error(
        `harness: ${name} passed its deadline (${deadlineMs} ms); killing it`,
      );
      docker(["kill", name]).catch(() => {});
    }, deadlineMs);
  }

  /**
   * Starts a container of the image for `tag` and (by default) waits until systemd
   * reports the system running.
   *
   * @throws {Error} If `docker run` fails or the system does not come up; the message
   *   carries the container's logs and failed units.
   */
  static async start(
    tag: ImageTag,
    options: StartOptions = {},
  ): Promise<Container> {
    const flags = options.flags ?? "minimal";
    const name = `csd-test-${tag}-${flags}-${uniqueSuffix()}`;
    const args = [
      "run",
      "-d",
      "--name",
      name,
      "--label",
      TEST_LABEL,
      ...FLAG_SETS[flags],
      ...await engineFlags(flags),
      ...(options.tty ? ["-t"] : []),
      ...Object.entries(options.env ?? {}).flatMap((
        [k, v],
      ) => ["-e", `${k}=${v}`]),
      ...(options.dockerArgs ?? []),
      imageName(tag),
      ...(options.args ?? []),
    ];
    const c = new Container(name, tag, flags, options.deadlineMs ?? 300_000);
    const r = await docker(args);
    if (r.code !== 0) {
      await c.remove();
      throw new Error(
        `docker run failed (exit code ${r.code}): ${r.stderr.trim()}`,
      );
    }
    if (options.waitRunning ?? true) {
      try {
        await c.waitRunning({ acceptDegraded: options.acceptDegraded });
      } catch (e) {
        await c.printLogs();
        await c.remove();
        throw e;
      }
    }
    return c;
  }

  /**
   * Wraps a container started elsewhere (e.g. `docker run` attached, by a test that reads
   * its stdout itself), so that the other methods work on it; {@link remove} removes it.
   *
   * @param name The container's name.
   * @param tag Which image it runs.
   * @param flags Which flag set it was started with.
   * @param deadlineMs Kill it this long from now, whatever happens. @default 300,000
   */
  static adopt(name: string, tag: ImageTag, flags: FlagSet, deadlineMs = 300_000): Container {
    return new Container(name, tag, flags, deadlineMs);
  }

  /**
   * Runs a command in the container (`docker exec`).
   *
   * @param cmd The command and its arguments.
   * @param options `user`, `env`, `stdin`, `timeoutMs` as for {@link docker}.
   */
  exec(
    cmd: string[],
    options: {
      user?: string;
      env?: Record<string, string>;
      stdin?: string | Uint8Array;
      timeoutMs?: number;
    } = {},
  ): Promise<CommandResult> {
    return docker([
      "exec",
      ...(options.stdin !== undefined ? ["-i"] : []),
      ...(options.user ? ["-u", options.user] : []),
      ...Object.entries(options.env ?? {}).flatMap((
        [k, v],
      ) => ["-e", `${k}=${v}`]),
      this.name,
      ...cmd,
    ], options);
  }

  /** Runs `sh -c script` in the container; see {@link exec}. */
  sh(
    script: string,
    options: Parameters<Container["exec"]>[1] = {},
  ): Promise<CommandResult> {
    return this.exec(["sh", "-c", script], options);
  }

  /**
   * Waits until `systemctl is-system-running --wait` reports "running".
   *
   * @throws {Error} After `timeoutMs` (default 60,000), or if the system reports
   *   "degraded" (unless accepted) or stops; names the failed units.
   */
  async waitRunning(
    options: { timeoutMs?: number; acceptDegraded?: boolean } = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let last = "";
    while (Date.now() < deadline) {
      const r = await this.exec(["systemctl", "is-system-running", "--wait"], {
        timeoutMs: deadline - Date.now(),
      });
      last = (r.stdout.trim() || r.stderr.trim()).split("\n").pop() ?? "";
      if (
        last === "running" || (last === "degraded" && options.acceptDegraded)
      ) return last;
      if (last === "degraded" || last === "stopping") {
        break;
      }
      if (!(await this.isRunning())) {
        last = `container exited with code ${await this.exitCode()}`;
        break;
      }
      await delay(100);
    }
    const failed = await this.exec([
      "systemctl",
      "--failed",
      "--no-legend",
      "--plain",
    ]);
    throw new Error(
      `${this.name}: system not running (${last || "no answer"}); failed units: ` +
        (failed.stdout.trim().replaceAll("\n", "; ") || "none"),
    );
  }

  /** The container's stdout and stderr so far, separately (`docker logs`). */
  logs(): Promise<CommandResult> {
    return docker(["logs", this.name]);
  }

  /**
   * Polls the container's logs until `predicate` holds.
   *
   * @param predicate Called with the logs so far.
   * @param timeoutMs How long to wait. @default 30,000
   * @returns The logs that satisfied the predicate.
   * @throws {Error} On timeout, with the end of the logs.
   */
  async waitForLogs(
    predicate: (logs: CommandResult) => boolean,
    timeoutMs = 30_000,
  ): Promise<CommandResult> {
    const deadline = Date.now() + timeoutMs;
    let logs = await this.logs();
    while (!predicate(logs)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: logs did not match within ${timeoutMs} ms; stdout ends:\n` +
            logs.stdout.split("\n").slice(-15).join("\n"),
        );
      }
      await delay(100);
      logs = await this.logs();
    }
    return logs;
  }

  /** Whether the container is still running. */
  async isRunning(): Promise<boolean> {
    const r = await docker(["inspect", "-f", "{{.State.Running}}", this.name]);
    return r.stdout.trim() === "true";
  }

  /** The container's exit code (0 while it runs). */
  async exitCode(): Promise<number> {
    const r = await docker(["inspect", "-f", "{{.State.ExitCode}}", this.name]);
    return Number(r.stdout.trim());
  }

  /**
   * Waits for the container to exit by itself.
   *
   * @returns Its exit code.
   * @throws {Error} After `timeoutMs` (default 30,000).
   */
  async waitExit(timeoutMs = 30_000): Promise<number> {
    const r = await docker(["wait", this.name], { timeoutMs });
    if (r.code !== 0) {
      throw new Error(`${this.name}: did not exit within ${timeoutMs} ms`);
    }
    return Number(r.stdout.trim());
  }

  /**
   * Stops the container with `docker stop` (which sends the image's STOPSIGNAL,
   * SIGRTMIN+3) and measures how long that took.
   *
   * @param timeoutS Seconds Docker waits before SIGKILL. @default 10
   */
  async stop(timeoutS = 10): Promise<StopResult> {
    const t0 = performance.now();
    await docker(["stop", "-t", String(timeoutS), this.name], {
      timeoutMs: (timeoutS + 30) * 1000,
    });
    const ms = performance.now() - t0;
    return { ms, exitCode: await this.exitCode() };
  }

  /** Prints the container's stdout and stderr to this process's stderr. */
  async printLogs(): Promise<void> {
    // --tail: a flood of several hundred MiB does not fit a string.
    const l = await docker(["logs", "--tail", "60", this.name]);
    const tail = (s: string) =>
      s.split("\n").slice(-60).map((x) => x.length > 500 ? `${x.slice(0, 500)}...` : x)
        .join("\n");
    console.error(
      `--- ${this.name} stdout (last 60 lines) ---\n${tail(l.stdout)}\n` +
        `--- ${this.name} stderr (last 60 lines) ---\n${tail(l.stderr)}\n--- end ---`,
    );
  }

  /** Removes the container (forcibly). Safe to call twice. */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    clearTimeout(this.#deadline);
    await docker(["rm", "-f", "-v", this.name]);
  }

  /** Removes the container. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function selected<T extends string>(env: string, all: readonly T[]): T[] {
  const want = Deno.env.get(env)?.split(",").map((s) => s.trim()).filter(
    Boolean,
  );
  return want ? all.filter((x) => want.includes(x)) : [...all];
}

/** Options for {@link testEachImage}. */
export interface EachImageOptions extends Omit<StartOptions, "flags"> {
  /** Flag sets to run the test under. @default ["minimal", "privileged"] */
  flags?: FlagSet[];
  /** Images to run on. @default the selected ones (tests/images.ts, `testImageTags`) */
  images?: ImageTag[];
  /** Skip the test. */
  ignore?: boolean;
}

/**
 * Registers one Deno test per image and flag set, each with a fresh container that is
 * removed afterwards; on failure the container's logs are printed first.
 *
 * @param name The test's name; the image and flag set are appended.
 * @param options Which images and flag sets, and how to start the container.
 * @param fn The test body.
 */
export function testEachImage(
  name: string,
  options: EachImageOptions,
  fn: (c: Container) => Promise<void>,
): void {
  forEachImage(name, options, (tag, flags) => async () => {
    await using c = await Container.start(tag, { ...options, flags });
    try {
      await fn(c);
    } catch (e) {
      await c.printLogs();
      throw e;
    }
  });
}

/** Registers `test(tag, flags)`'s body as one Deno test per selected image and flag set. */
function forEachImage(
  name: string,
  options: EachImageOptions,
  test: (tag: ImageTag, flags: FlagSet) => (t: Deno.TestContext) => Promise<void>,
): void {
  const images = testImageTags(options.images);
  const flagSets = selected(
    "CSD_TEST_FLAGS",
    options.flags ?? (Object.keys(FLAG_SETS) as FlagSet[]),
  );
  for (const tag of images) {
    for (const flags of flagSets) {
      Deno.test({
        name: `${name} [debian-${tag}, ${flags}]`,
        ignore: options.ignore,
        sanitizeResources: false,
        sanitizeOps: false,
        fn: test(tag, flags),
      });
    }
  }
}

/** One check of {@link testEachImageShared}: its name and its body. */
export type SharedCheck = readonly [name: string, fn: (c: Container) => Promise<void>];

/**
 * Registers one Deno test per image and flag set whose checks share one fresh container,
 * so that it boots once, not once per check: for checks that only read, or leave the
 * container as the next check needs it (they run in the order given). Each check is a
 * test step, reported with its own name and failure; a failed check does not keep the
 * next ones from running. The container is removed afterwards, and its logs are printed
 * first if a check failed.
 *
 * @param name The test's name; the image and flag set are appended.
 * @param options Which images and flag sets, and how to start the container.
 * @param checks The checks, in order.
 */
export function testEachImageShared(
  name: string,
  options: EachImageOptions,
  checks: readonly SharedCheck[],
): void {
  forEachImage(name, options, (tag, flags) => async (t) => {
    await using c = await Container.start(tag, { ...options, flags });
    let ok = true;
    for (const [check, fn] of checks) {
      ok = await t.step({
        name: check,
        sanitizeResources: false,
        sanitizeOps: false,
        fn: () => fn(c),
      }) && ok;
    }
    if (!ok) await c.printLogs();
  });
}
