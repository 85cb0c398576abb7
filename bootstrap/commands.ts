/**
 * The `doctor` and `health` subcommands of `containering-systemd`, registered on the
 * program by cli.ts.
 *
 * @module
 */
import type { Command } from "commander";
import { formatDoctorTable, runDoctor } from "./doctor.ts";
import { checkHealth } from "./health.ts";

/**
 * Adds `doctor` and `health` to `program`.
 *
 * @param program The `containering-systemd` command.
 * @param options `validateAgentConfig`: checks the agent's settings for `doctor`.
 */
export function addCheckCommands(
  program: Command,
  options: { validateAgentConfig?: (env: Record<string, string>) => void } = {},
): void {
  program.command("doctor")
    .description(
      "print the container checks as a table (also inside a running container: " +
        "docker exec NAME containering-systemd doctor); exit 1 if one fails",
    )
    .option("--degraded", 'count the system state "degraded" as healthy')
    .action(async (opts: { degraded?: boolean }) => {
      const rows = await runDoctor({
        validateAgentConfig: options.validateAgentConfig,
        acceptDegraded: opts.degraded,
      });
      console.log(formatDoctorTable(rows).trimEnd());
      Deno.exit(rows.some((r) => r.status === "fail") ? 1 : 0);
    });
  program.command("health")
    .description(
      'exit 0 if systemd reports the system "running" (for HEALTHCHECK and probes), ' +
        "else 1; prints the state",
    )
    .option("--degraded", 'also exit 0 when the state is "degraded" (a unit failed)')
    .option("--timeout <ms>", "give up after this many milliseconds", "10000")
    .action(async (opts: { degraded?: boolean; timeout: string }) => {
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        console.error(`health: invalid --timeout "${opts.timeout}": expected milliseconds`);
        Deno.exit(1);
      }
      const r = await checkHealth({ acceptDegraded: opts.degraded, timeoutMs });
      console.log(r.state);
      Deno.exit(r.healthy ? 0 : 1);
    });
}
