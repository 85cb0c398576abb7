/**
 * `containering-systemd health`: a health check for Docker's `HEALTHCHECK` and
 * Kubernetes probes, from systemd's own view of the system.
 *
 * @module
 */

/** Options for {@link checkHealth}. */
export interface HealthOptions {
  /** Count "degraded" (some unit failed) as healthy. @default false */
  acceptDegraded?: boolean;
  /** Give up after this long. @default 10,000 */
  timeoutMs?: number;
}

/** The outcome of {@link checkHealth}. */
export interface HealthResult {
  /** Whether the container is healthy. */
  healthy: boolean;
  /** systemd's state ("running", "degraded", "starting", ...), or why there is none. */
  state: string;
}

/**
 * Whether a system state counts as healthy (states of `systemctl is-system-running`,
 * systemctl(1)).
 *
 * @param state e.g. "running".
 * @param acceptDegraded Count "degraded" as healthy.
 */
export function isHealthyState(state: string, acceptDegraded = false): boolean {
  return state === "running" || (acceptDegraded && state === "degraded");
}

/**
 * Asks systemd for the system state (`systemctl is-system-running`).
 *
 * @param options See {@link HealthOptions}.
 * @returns Whether the system is healthy, and its state.
 */
export async function checkHealth(options: HealthOptions = {}): Promise<HealthResult> {
  const out = await new Deno.Command("systemctl", {
    args: ["is-system-running"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  }).output();
  const decoder = new TextDecoder();
  const state = decoder.decode(out.stdout).trim() ||
    `no answer from systemd (${decoder.decode(out.stderr).trim() || `exit ${out.code}`})`;
  return { healthy: isHealthyState(state, options.acceptDegraded), state };
}
