/**
 * `containering-systemd`: one command with the subcommands `bootstrap` (the container
 * entrypoint, also installed as `systemd-bootstrap`), `agent` (`journalagent`),
 * `doctor`, `health`, `install` (the image's build step) and `version`.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { AGENT_OPTIONS } from "./agent/options.ts";
import { reportUsageError } from "./agent/main.ts";
import { BOOTSTRAP_ENV } from "./bootstrap/config.ts";
import { addCheckCommands } from "./bootstrap/commands.ts";
import { addInstallCommand } from "./install/command.ts";
import { agentCommand, bootstrapCommand, validateAgentConfig } from "./cli_run.ts";
import { VERSION } from "./version.ts";

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
  addInstallCommand(program);
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
      "\nAfter the image name (docker run IMAGE ARGS; /usr/bin/systemd-bootstrap " +
        "decides):\n" +
        '  a first argument that is an option (-*), contains "systemd." or is one of\n' +
        "  quiet, debug, emergency, rescue, single, s, S, 1-5: all of them go to systemd\n" +
        "  (e.g. --log-level=debug, systemd.unit=rescue.target, systemd.wants=UNIT);\n" +
        "  /sbin/init or systemd's own path first: dropped, the rest goes to systemd;\n" +
        "  anything else is a command run instead of systemd (bash, /bin/sh -c ...,\n" +
        "  journalctl --help), as in the official images\n" +
        "\nEnvironment:\n" +
        Object.entries(BOOTSTRAP_ENV).map(([k, v]) => `  ${k.padEnd(22)}${v}`).join("\n") +
        "\n  JOURNALAGENT_*        the agent's settings (checked before systemd starts)",
    )
    .action(async (args: string[], opts: { mainUnit?: string; passEnvironment: boolean }) => {
      await bootstrapCommand(args, opts);
    });
  const agent = program.command("agent")
    .description(
      "forward the journal to the container's stdout/stderr (journalagent.service); " +
        "every flag has an environment variable of the same meaning, the flag wins",
    )
    .exitOverride((err) => {
      throw err; // handled below, after parseAsync
    });
  for (const o of AGENT_OPTIONS) {
    const help = `${o.description} [env ${o.env}]` +
      (o.defaultText !== undefined ? ` (default: ${o.defaultText})` : "");
    if (o.repeatable) {
      agent.option(
        `${o.flag} <${o.arg}>`,
        `${help}; repeatable`,
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      );
    } else {
      agent.option(`${o.flag} <${o.arg}>`, help);
    }
  }
  agent.action(async (opts: Record<string, string | string[] | undefined>) => {
    await agentCommand(opts);
  });
  program.command("version")
    .description("print the version")
    .action(() => console.log(VERSION));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    // Only the agent subcommand's usage errors get here (the rest exit in exitOverride).
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) Deno.exit(0);
    Deno.exit(await reportUsageError(e.message, Deno.env.toObject()));
  }
}

if (import.meta.main) await main();
