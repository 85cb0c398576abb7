/**
 * The `install` subcommand of `containering-systemd`, registered on the program by cli.ts.
 *
 * @module
 */
import type { Command } from "commander";
import { install, InstallError, MASKED_UNITS } from "./install.ts";
import { TREE } from "./prerequisites.ts";

/**
 * Adds `install` to `program`. A missing prerequisite ends it with exit code 1 and one
 * line on stderr, `containering-systemd install: error: <what>: <fix>`.
 *
 * @param program The `containering-systemd` command.
 */
export function addInstallCommand(program: Command): void {
  program.command("install")
    .description(
      "make the image being built a containering-systemd image (its build step, " +
        "docs/recipe.md): checks what is needed, enables journalagent.service, masks " +
        "units that make no sense in a container, empties the machine ID; exit 1 with " +
        "one line saying what is missing",
    )
    .addHelpText(
      "after",
      "\nRun once in a Dockerfile, after systemd is installed and after\n" +
        `  COPY --from=containering-systemd:debian-12 ${TREE}/ /\n` +
        "\nChecks (an error stops the build): the tree's files are in place, systemd at\n" +
        "/usr/lib/systemd/systemd or /lib/systemd/systemd, systemctl on PATH,\n" +
        "libsystemd.so.0 loads, and (in /usr/bin/containering-systemd) that the Deno\n" +
        "runtime runs (glibc; musl images such as Alpine cannot work).\n" +
        "Warnings: systemd older than the oldest tested, no D-Bus, no pam_systemd.so\n" +
        "(libpam-systemd: user managers, lingering, login sessions).\n" +
        "\nMasks:\n" + MASKED_UNITS.map((u) => `  ${u}`).join("\n"),
    )
    .action(async () => {
      try {
        await install();
      } catch (e) {
        if (!(e instanceof InstallError)) throw e;
        console.error(`containering-systemd install: error: ${e.message}`);
        Deno.exit(1);
      }
    });
}
