/**
 * `containering-systemd`: one command with the subcommands `bootstrap` (the container
 * entrypoint, also installed as `systemd-bootstrap`), `agent` (`journalagent`),
 * `doctor`, `health` and `version`.
 *
 * @module
 */
import { Command } from "commander";
import { BOOTSTRAP_ENV } from "./bootstrap/config.ts";
import { formatDoctorTable, runDoctor } from "./bootstrap/doctor.ts";
import { checkHealth } from "./bootstrap/health.ts";
import { runBootstrap } from "./bootstrap/main.ts";
import { PreflightError } from "./bootstrap/preflight.ts";
import { VERSION } from "./version.ts";

/**
 * Validates the agent's `JOURNALAGENT_*` settings for `bootstrap` and `doctor`. A seam:
 * it does nothing until the agent's config parser (agent/config.ts) is wired in here.
 */
function validateAgentConfig(_env: Record<string, string>): void {}

/** Parses `argv` (without the runtime and script) and runs the chosen subcommand. */
export async function main(argv: string[] = Deno.args): Promise<void> {
  const program = new Command("containering-systemd")
    .description(
      "systemd as PID 1 in containers, its journal on the container's stdout",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError()
    .exitOverride((err) => Deno.exit(err.exitCode === 0 ? 0 : 1));
  program.command("bootstrap")
    .description(
      "check and prepare the container, then exec systemd as PID 1 (the entrypoint, " +
        "also installed as systemd-bootstrap); options other than these go to systemd",
    )
    .argument("[systemd-args...]", "arguments passed to systemd")
    .option("--main-unit <unit>", "exit the container when UNIT ends, with its exit status")
    .option("--no-pass-environment", "do not pass the container's environment to services")
    .allowUnknownOption()
    .addHelpText(
      "after",
      "\nEnvironment:\n" +
        Object.entries(BOOTSTRAP_ENV).map(([k, v]) => `  ${k.padEnd(22)}${v}`).join("\n") +
        "\n  JOURNALAGENT_*        the agent's settings (checked before systemd starts)",
    )
    .action(async (args: string[], opts: { mainUnit?: string; passEnvironment: boolean }) => {
      try {
        await runBootstrap(args, { ...opts, validateAgentConfig });
      } catch (e) {
        console.error(`systemd-bootstrap: ${e instanceof Error ? e.message : String(e)}`);
        Deno.exit(e instanceof PreflightError ? e.exitCode : 1);
      }
    });
  program.command("doctor")
    .description(
      "print the container checks as a table (also inside a running container: " +
        "docker exec NAME containering-systemd doctor); exit 1 if one fails",
    )
    .option("--degraded", 'count the system state "degraded" as healthy')
    .action(async (opts: { degraded?: boolean }) => {
      const rows = await runDoctor({ validateAgentConfig, acceptDegraded: opts.degraded });
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
  program.command("version")
    .description("print the version")
    .action(() => console.log(VERSION));
  await program.parseAsync(argv, { from: "user" });
}

if (import.meta.main) await main();
