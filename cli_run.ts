/**
 * What `containering-systemd bootstrap` and `containering-systemd agent` do once their
 * arguments are parsed, shared by the full command (cli.ts, commander) and the fast path
 * the image runs at every start (cli_fast.ts). Imports no Node.js module and no
 * CommonJS package, so that the fast bundle starts without Node's module system.
 *
 * @module
 */
import { ConfigError, parseAgentConfig } from "./agent/config.ts";
import { agentMain } from "./agent/main.ts";
import { AGENT_OPTIONS } from "./agent/options.ts";
import { BootstrapConfigError } from "./bootstrap/config.ts";
import { type BootstrapOptions, runBootstrap } from "./bootstrap/main.ts";
import { PreflightError } from "./bootstrap/preflight.ts";

/**
 * Validates the agent's `JOURNALAGENT_*` settings for `bootstrap` and `doctor`, so that
 * a bad value stops the container at once instead of failing journalagent.service.
 *
 * @param env The container's environment.
 * @throws {BootstrapConfigError} For the first invalid value, caused by the agent's
 *   {@link ConfigError} (agent/config.ts).
 */
export function validateAgentConfig(env: Record<string, string>): void {
  try {
    parseAgentConfig({}, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new BootstrapConfigError(e.message, `fix or remove -e ${e.setting}`, { cause: e });
  }
}

/**
 * Runs `containering-systemd bootstrap` (docs/bootstrap.md): checks, then execs systemd.
 * A failed check ends the process with one `systemd-bootstrap:` line on stderr and the
 * check's exit code ({@link PreflightError}, 1 for anything else).
 *
 * @param args Arguments for systemd.
 * @param options `--main-unit` and `--pass-environment` as parsed.
 * @returns Never: systemd replaces the process, or it exits.
 */
export async function bootstrapCommand(
  args: string[],
  options: Pick<BootstrapOptions, "mainUnit" | "passEnvironment">,
): Promise<never> {
  try {
    return await runBootstrap(args, { ...options, validateAgentConfig });
  } catch (e) {
    console.error(`systemd-bootstrap: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(e instanceof PreflightError ? e.exitCode : 1);
  }
}

/**
 * Runs `containering-systemd agent` (docs/agent.md) and exits with its exit status.
 *
 * @param flags The agent's flags by camelCase name as commander gives them (e.g.
 *   `pollInterval`); an absent one is undefined.
 * @returns Never: exits with {@link agentMain}'s status.
 */
export async function agentCommand(
  flags: Record<string, string | string[] | undefined>,
): Promise<never> {
  const byName = Object.fromEntries(
    AGENT_OPTIONS.map((o) => {
      const name = o.flag.slice(2);
      return [name, flags[name.replace(/-(.)/g, (_, c: string) => c.toUpperCase())]];
    }),
  );
  Deno.exit(await agentMain(byName, Deno.env.toObject()));
}
