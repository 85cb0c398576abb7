/**
 * The environment systemd starts with, and which of its variables every service gets.
 *
 * systemd gives services a clean environment; `PassEnvironment=` copies named variables
 * from PID 1's own environment, which is where `docker run -e` and Kubernetes `env`
 * values land. systemd-bootstrap keeps them there and names them for the generator,
 * which writes a `PassEnvironment=` drop-in for each of the image's own services that
 * runs as root (see docs/bootstrap.md).
 *
 * @module
 */

/**
 * Variables that belong to the container runtime, to systemd or to this project and are
 * never passed to services (systemd sets its own values where they matter).
 */
export const EXCLUDED_NAMES: ReadonlySet<string> = new Set([
  // container runtimes (systemd reads these itself; see systemd's CONTAINER_INTERFACE)
  "container",
  "container_uuid",
  "container_host_id",
  "container_host_version_id",
  "HOSTNAME",
  "HOME",
  "TERM",
  "PATH",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "_",
  "USER",
  "LOGNAME",
  "SHELL",
  // systemd's interfaces to the processes it starts (systemd.exec(5) "Environment
  // Variables in Spawned Processes", sd_listen_fds(3), sd_notify(3))
  "NOTIFY_SOCKET",
  "LISTEN_PID",
  "LISTEN_FDS",
  "LISTEN_FDNAMES",
  "INVOCATION_ID",
  "JOURNAL_STREAM",
  "MANAGERPID",
  "MAINPID",
  "WATCHDOG_PID",
  "WATCHDOG_USEC",
  "RUNTIME_DIRECTORY",
  "STATE_DIRECTORY",
  "CACHE_DIRECTORY",
  "LOGS_DIRECTORY",
  "CONFIGURATION_DIRECTORY",
  "CREDENTIALS_DIRECTORY",
  "TRIGGER_UNIT",
  "MONITOR_SERVICE_RESULT",
  // ours: the interceptor is for PID 1 only
  "LD_PRELOAD",
]);

/**
 * Name prefixes never passed: systemd's debugging switches, this project's own settings
 * (journalagent.service passes `JOURNALAGENT_*` to itself) and the runtime's `container_*`.
 */
export const EXCLUDED_PREFIXES: readonly string[] = [
  "SYSTEMD_",
  "CSD_",
  "JOURNALAGENT_",
  "container_",
];

/**
 * Variables the `containering-systemd` wrapper script sets for the Deno runtime, with
 * the values it sets (DENO_DIR: the full command's cache, or the fast path's, which the
 * image ships: scripts/warm_cache.sh); they are removed before systemd starts.
 */
export const RUNTIME_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  DENO_DIR: ["/var/cache/containering-systemd/deno", "/usr/lib/containering-systemd/cache"],
  DENO_NO_UPDATE_CHECK: ["1"],
  DENO_NO_PROMPT: ["1"],
};

/** systemd's env_name_is_valid(): a C identifier. */
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses the NUL-separated `/proc/PID/environ` format (proc(5)).
 *
 * @param bytes The file's content.
 * @returns The variables in order; for a repeated name the first one wins, as getenv(3).
 */
export function parseEnviron(bytes: Uint8Array): Record<string, string> {
  const env: Record<string, string> = {};
  const text = new TextDecoder().decode(bytes);
  for (const item of text.split("\0")) {
    const eq = item.indexOf("=");
    if (eq <= 0) continue;
    const name = item.slice(0, eq);
    if (!(name in env)) env[name] = item.slice(eq + 1);
  }
  return env;
}

/**
 * The environment this process was started with, without what the wrapper script added
 * for Deno. Read from /proc/self/environ, which shows the environment given to execve(2):
 * the Deno runtime later adds variables of its own (e.g. `DENO_NODE_SHIM_ACTIVE`, a
 * directory in front of `PATH`) that must not reach systemd.
 *
 * @param environ The bytes of /proc/self/environ; read when omitted.
 * @returns The container's environment as the runtime set it.
 */
export function containerEnvironment(environ?: Uint8Array): Record<string, string> {
  const env = parseEnviron(environ ?? Deno.readFileSync("/proc/self/environ"));
  for (const [name, values] of Object.entries(RUNTIME_VARIABLES)) {
    if (env[name] !== undefined && values.includes(env[name])) delete env[name];
  }
  return env;
}

/**
 * The names of the variables every service should get.
 *
 * @param env The container's environment.
 * @returns Names in the order given, without {@link EXCLUDED_NAMES}, names starting with
 *   one of {@link EXCLUDED_PREFIXES}, and names systemd would reject.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(passedNames({ APP_MODE: "x", HOSTNAME: "h", container: "docker" }), ["APP_MODE"]);
 * ```
 */
export function passedNames(env: Record<string, string>): string[] {
  return Object.keys(env).filter((name) =>
    VALID_NAME.test(name) && !EXCLUDED_NAMES.has(name) &&
    !EXCLUDED_PREFIXES.some((p) => name.startsWith(p))
  );
}
