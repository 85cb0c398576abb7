/**
 * The fast path of the `containering-systemd` command, bundled on its own
 * (dist/containering-systemd-fast.js): `bootstrap` and `agent` without further
 * arguments, what the image runs at every container start and every agent restart.
 * /usr/bin/containering-systemd picks it for exactly those two command lines; every
 * other one (options, `--help`, `doctor`, ...) goes to the full command, cli.ts.
 *
 * Why a second entry point: cli.ts parses with commander, a CommonJS package that
 * requires Node.js modules, so its bundle loads Deno's Node.js compatibility layer at
 * every start (about 60 ms of CPU, measured in docs/bench.md, "Boot"). This one imports
 * neither.
 *
 * Usage: containering-systemd-fast.js bootstrap|agent|version
 *
 * @module
 */
import { agentCommand, bootstrapCommand } from "./cli_run.ts";
import { VERSION } from "./version.ts";

/**
 * Runs one fast-path command line.
 *
 * @param argv The arguments after the script.
 * @returns Never: execs systemd, or exits.
 */
export async function fastMain(argv: string[] = Deno.args): Promise<never> {
  const [command, ...rest] = argv;
  if (rest.length === 0) {
    // The same as cli.ts without options: --pass-environment is on by default.
    if (command === "bootstrap") return await bootstrapCommand([], { passEnvironment: true });
    if (command === "agent") return await agentCommand({});
    if (command === "version") {
      console.log(VERSION);
      Deno.exit(0);
    }
  }
  console.error(
    `containering-systemd-fast: unknown command line "${argv.join(" ")}": use ` +
      "bootstrap, agent or version without options (/usr/bin/containering-systemd " +
      "runs every other one with the full command)",
  );
  Deno.exit(2);
}

if (import.meta.main) await fastMain();
