/**
 * `containering-systemd install`: the one build step of the project's image and of the
 * own-image recipe (docs/recipe.md), run after the tree /opt/containering-systemd/ has
 * been copied to `/`. Checks the prerequisites, then enables the agent, masks what makes
 * no sense in a container, empties the machine ID and makes the fast bundle's V8 code
 * cache (code_cache.ts).
 *
 * @module
 */
import { makeCodeCache } from "./code_cache.ts";
import { readInstallFacts } from "./facts.ts";
import { checkPrerequisites, type InstallFacts } from "./prerequisites.ts";

/**
 * Units masked in every image: they fail or slow the boot in a container (a getty on a
 * console that is not there, kernel modules, remounting the root, first-boot prompts,
 * maintenance timers of a host's disks and packages). By name, so it works on any
 * distribution; absent ones are masked too (a later package cannot bring them back).
 */
export const MASKED_UNITS = [
  "console-getty.service",
  "getty@tty1.service",
  "systemd-modules-load.service",
  "modprobe@loop.service",
  "modprobe@dm_mod.service",
  "systemd-remount-fs.service",
  "systemd-firstboot.service",
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "dpkg-db-backup.timer",
  "e2scrub_all.timer",
  "e2scrub_reap.service",
  "fstrim.timer",
] as const;

/** An install step that cannot go on; the message is one line: problem, colon, fix. */
export class InstallError extends Error {
  override name = "InstallError";
}

/** The generator the tree installs (environment passthrough, main unit, ctrl-alt-del). */
const GENERATOR = "/usr/lib/systemd/system-generators/containering-systemd-generator";

/**
 * On a split /usr (Debian 11 and older: /lib a directory, not a link to usr/lib), links
 * the generator into /lib/systemd/system-generators, the directory such a systemd reads
 * (systemd.generator(7) of 247 lists /lib/systemd/system-generators; 247 ignored the
 * /usr/lib one: no environment passthrough, no main unit). Does nothing on a merged /usr.
 *
 * @param root The file system's root, for tests. @default "/"
 */
export async function linkGeneratorOnSplitUsr(root = "/"): Promise<void> {
  const lib = await Deno.lstat(`${root}lib`).catch(() => null);
  if (lib === null || lib.isSymlink) return;
  const dir = `${root}lib/systemd/system-generators`;
  const isDir = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
  if (!isDir) return;
  await Deno.symlink(GENERATOR, `${dir}/containering-systemd-generator`).catch((e) => {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  });
}

/** Options for {@link install}. */
export interface InstallOptions {
  /** The facts to decide on. @default read from the system ({@link readInstallFacts}) */
  facts?: InstallFacts;
  /** Where warnings and the summary go, one line each. @default console.error */
  log?: (line: string) => void;
  /** Makes the code cache; returns a warning or null. @default {@link makeCodeCache} */
  codeCache?: () => Promise<string | null>;
}

/**
 * Makes the running image a containering-systemd image. Like `systemctl mask`
 * (systemctl(1)) a masked unit is a symlink to /dev/null in /etc/systemd/system, which
 * replaces what was there; the machine ID is emptied as machine-id(5) describes for
 * images ("an empty file ... the machine ID is generated at boot"), so containers of one
 * image differ; /var/lib/systemd/linger, logind's StateDirectory=, is made so that logind
 * starts on a read-only root (docs/hardening.md).
 *
 * @param options Facts and logger, for tests.
 * @returns The summary line, also logged.
 * @throws {InstallError} If a prerequisite is missing (the first one), or
 *   `systemctl enable journalagent.service` fails.
 */
export async function install(options: InstallOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => console.error(line));
  const facts = options.facts ?? await readInstallFacts();
  const { errors, warnings } = checkPrerequisites(facts);
  if (errors.length > 0) throw new InstallError(errors[0]);
  for (const w of warnings) log(`containering-systemd install: warning: ${w}`);

  const enable = await new Deno.Command("systemctl", {
    args: ["enable", "--quiet", "journalagent.service"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!enable.success) {
    const why = new TextDecoder().decode(enable.stderr).trim().split("\n")[0];
    throw new InstallError(
      `systemctl enable journalagent.service failed (exit code ${enable.code}: ${why}): ` +
        "check /etc/systemd/system/journalagent.service",
    );
  }
  await linkGeneratorOnSplitUsr();
  for (const unit of MASKED_UNITS) {
    const path = `/etc/systemd/system/${unit}`;
    await Deno.remove(path).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.symlink("/dev/null", path);
  }
  await Deno.mkdir("/var/lib/systemd/linger", { recursive: true });
  await Deno.writeTextFile("/etc/machine-id", "");
  await Deno.remove("/var/lib/dbus/machine-id").catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  const cacheProblem = await (options.codeCache ?? makeCodeCache)();
  if (cacheProblem !== null) log(`containering-systemd install: warning: ${cacheProblem}`);
  const summary = `containering-systemd install: systemd ${facts.systemdVersion ?? "?"} ` +
    `at ${facts.systemd}; enabled journalagent.service, masked ${MASKED_UNITS.length} units, ` +
    "emptied /etc/machine-id" + (cacheProblem === null ? ", made the V8 code cache" : "");
  log(summary);
  return summary;
}
