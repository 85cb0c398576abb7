/**
 * `systemd-bootstrap`: the container entrypoint. Checks the container, prepares it,
 * then execs systemd as PID 1 with the interceptor preloaded.
 *
 * @module
 */
import { dropSysBoot } from "./capabilities.ts";
import { BootstrapConfigError, parseBootstrapConfig } from "./config.ts";
import { containerEnvironment, passedNames } from "./environment.ts";
import { containerVariable } from "./container_variable.ts";
import { readIfExists } from "./_read.ts";
import { exec } from "./exec.ts";
import { prepareEmulation } from "./emulation.ts";
import { prepareJournalBudget } from "./memory.ts";
import {
  checkCapabilities,
  checkPid1,
  checkRoot,
  checkRun,
  findSystemd,
  PreflightError,
  prepareCgroups,
  readHost,
  systemdVersion,
} from "./preflight.ts";
import { checkSeccomp, probeSyscalls } from "./seccomp.ts";
import { checkCgroupOwner, userNamespaceMap } from "./user_namespace.ts";
import { VERSION } from "../version.ts";

/** Where the image installs the interceptor (the original project's path). */
export const INTERCEPTOR_PATH = "/usr/lib/libjournalagent_interceptor.so";

/**
 * Variables systemd-bootstrap puts into PID 1's environment for the generator
 * (rootfs/usr/lib/systemd/system-generators/containering-systemd-generator) and for
 * `containering-systemd doctor`.
 */
export const PID1_VARIABLES = {
  /** The bootstrap's version; its presence marks a PID 1 started by systemd-bootstrap. */
  marker: "CSD_BOOTSTRAP",
  /** Space-separated names for `PassEnvironment=` (values stay in PID 1's environment). */
  passNames: "CSD_PASS_ENVIRONMENT_NAMES",
  /** The main unit, validated and with its type suffix. */
  mainUnit: "CSD_MAIN_UNIT",
} as const;

/** Options of `containering-systemd bootstrap`. */
export interface BootstrapOptions {
  /** `--main-unit UNIT`. */
  mainUnit?: string;
  /** false with `--no-pass-environment`. */
  passEnvironment?: boolean;
  /**
   * Validates the agent's `JOURNALAGENT_*` settings so that a bad value stops the
   * container at once instead of failing the agent's unit later.
   * @throws {Error} With a message naming the setting and what is valid.
   */
  validateAgentConfig?: (env: Record<string, string>) => void;
}

/**
 * systemd's arguments: those given, plus `--show-status=no` unless the caller chose a
 * status setting, so that systemd's "[  OK  ] Started ..." lines do not interleave with
 * the forwarded journal on a tty (`docker run -t`).
 *
 * @param args Arguments given after the image name.
 */
export function systemdArguments(args: string[]): string[] {
  const chosen = args.some((a) =>
    a === "--show-status" || a.startsWith("--show-status=") ||
    a.startsWith("systemd.show_status")
  );
  return chosen ? [...args] : ["--show-status=no", ...args];
}

/** The variables the interceptor sets in PID 1 (see interceptor/interceptor.c). */
export const INTERCEPTOR_VARIABLES: readonly string[] = [
  "SYSTEMD_STDOUT_FILENO",
  "SYSTEMD_STDERR_FILENO",
];

/**
 * The environment PID 1 starts with.
 *
 * @param env The container's environment ({@link containerEnvironment}).
 * @param config What to pass and the main unit.
 * @returns `env` without `CSD_*` and {@link INTERCEPTOR_VARIABLES}, plus LD_PRELOAD,
 *   the {@link PID1_VARIABLES} and `container` when `config.container` is given
 *   (bootstrap/container_variable.ts).
 */
export function pid1Environment(
  env: Record<string, string>,
  config: { passEnvironment: boolean; mainUnit?: string; container?: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    // The interceptor's variables name the fds it kept in an earlier instance of PID 1;
    // given from outside (`docker run -e`), they would make it adopt an unrelated fd.
    if (k.startsWith("CSD_") || INTERCEPTOR_VARIABLES.includes(k)) continue;
    out[k] = v;
  }
  out.LD_PRELOAD = INTERCEPTOR_PATH;
  out[PID1_VARIABLES.marker] = VERSION;
  if (config.passEnvironment) {
    out[PID1_VARIABLES.passNames] = passedNames(env).join(" ");
  }
  if (config.mainUnit) out[PID1_VARIABLES.mainUnit] = config.mainUnit;
  if (config.container) out.container = config.container;
  return out;
}

/**
 * Checks and prepares the container, then execs systemd as PID 1.
 *
 * Checks, in order: PID 1; root; systemd present; configuration (own and the agent's); /run;
 * capabilities; the seccomp profile;
 * the journal's size for the memory limit (a journald drop-in under /run); under emulation,
 * the agent's start timeout (emulation.ts, a drop-in under /run); cgroups
 * (mounting a private cgroup2 where systemd >= 258 needs it); in a user namespace, that its
 * root owns the cgroup.
 *
 * @param args Arguments for systemd (those given after the image name).
 * @param options Flags of the `bootstrap` subcommand.
 * @returns Never; on success systemd replaces this process.
 * @throws {PreflightError} On a failed check, with a one-line message saying how to fix it.
 * @throws {OsError} If execve(2) fails.
 */
export async function runBootstrap(
  args: string[],
  options: BootstrapOptions = {},
): Promise<never> {
  checkPid1(Deno.pid);
  checkRoot(Deno.uid() ?? 0);
  const systemd = findSystemd();
  // The version (from the name of systemd's shared library, else `systemd --version`)
  // is awaited where it is needed, so that failures still come in order.
  const version = systemdVersion(systemd);
  version.catch(() => {}); // a check below may fail first; the await reports it then
  const env = containerEnvironment();
  let config;
  try {
    config = parseBootstrapConfig(options, env);
    options.validateAgentConfig?.(env);
  } catch (e) {
    if (e instanceof BootstrapConfigError) throw new PreflightError(e.problem, e.fix, 78);
    throw e;
  }
  const host = readHost();
  checkRun(host);
  checkCapabilities(host);
  checkSeccomp(host, probeSyscalls());
  // Before prepareCgroups(): on a hybrid host the limit is only in the v1 hierarchies.
  prepareJournalBudget(host);
  prepareEmulation(); // after the /run mount above: a drop-in there
  prepareCgroups(await version, host);
  const uidMap = Deno.readTextFileSync("/proc/self/uid_map");
  if (userNamespaceMap(uidMap)) checkCgroupOwner(uidMap, Deno.statSync("/sys/fs/cgroup").uid ?? 0);
  dropSysBoot();
  const container = containerVariable(
    await version,
    env,
    readIfExists("/.dockerenv") !== undefined,
  );
  return exec(
    systemd,
    [systemd, ...systemdArguments(args)],
    pid1Environment(env, { ...config, container }),
  );
}
