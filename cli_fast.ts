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
 * neither, and the image ships its V8 code cache (made by `containering-systemd install`:
 * install/code_cache.ts).
 *
 * Usage: containering-systemd-fast.js bootstrap|agent|version|warm-cache
 *
 * @module
 */
import { agentCommand, bootstrapCommand } from "./cli_run.ts";
import { VERSION } from "./version.ts";

/**
 * `warm-cache`, run at image build time (install/code_cache.ts): does what every
 * start does besides the checks, so that Deno writes its caches into `DENO_DIR`. Deno
 * stores a module's V8 code cache from the event loop, after the module has been
 * compiled; a process that exits without giving the loop a turn stores none (the image
 * of a first version had an empty code cache). Awaiting a spawned
 * process gives it those turns and loads (and caches) the runtime's lazily loaded
 * modules that `Deno.Command` needs: the bootstrap may run `systemd --version`, the agent
 * on systemd < 254 `systemctl show`. (Not a timer: setTimeout loads Deno's Node.js
 * timers.)
 */
async function warmCache(): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["--version"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`${Deno.execPath()} --version failed (${out.code})`);
}

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
    if (command === "warm-cache") {
      await warmCache();
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
