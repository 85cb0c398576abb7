/**
 * `containering-systemd`: one command with the subcommands `bootstrap` (the container
 * entrypoint, also installed as `systemd-bootstrap`), `agent` (`journalagent`),
 * `doctor`, `health` and `version`.
 *
 * @module
 */
import { Command } from "commander";
import { runBootstrap } from "./bootstrap/main.ts";
import { BOOTSTRAP_ENV } from "./bootstrap/config.ts";
import { addCheckCommands } from "./bootstrap/commands.ts";
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
    .exitOverride((err) => Deno.exit(err.exitCode === 0 ? 0 : 1))
    .configureHelp({ sortSubcommands: true });
  addCheckCommands(program, { validateAgentConfig });
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
        console.error(
          `systemd-bootstrap: ${e instanceof Error ? e.message : String(e)}`,
        );
        Deno.exit(e instanceof PreflightError ? e.exitCode : 1);
      }
    });
  program.command("version")
    .description("print the version")
    .action(() => console.log(VERSION));
  await program.parseAsync(argv, { from: "user" });
}

if (import.meta.main) await main();
