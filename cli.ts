/**
 * `containering-systemd`: one command with the subcommands `bootstrap` (the container
 * entrypoint, also installed as `systemd-bootstrap`), `agent` (`journalagent`) and
 * `version`.
 *
 * @module
 */
import { Command } from "commander";
import { runBootstrap } from "./bootstrap/main.ts";
import { VERSION } from "./version.ts";

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
      "prepare the container and exec systemd as PID 1 (the entrypoint)",
    )
    .argument("[systemd-args...]", "arguments passed to systemd")
    .allowUnknownOption()
    .action(async (args: string[]) => {
      try {
        await runBootstrap(args);
      } catch (e) {
        console.error(
          `systemd-bootstrap: ${e instanceof Error ? e.message : String(e)}`,
        );
        Deno.exit(1);
      }
    });
  program.command("version")
    .description("print the version")
    .action(() => console.log(VERSION));
  await program.parseAsync(argv, { from: "user" });
}

if (import.meta.main) await main();
