/**
 * Preparing /sys/fs/cgroup for the systemd that will run as PID 1.
 *
 * systemd 258 and later refuse the legacy (v1) and hybrid hierarchies ("Detected
 * unsupported legacy cgroup hierarchy"); on such a host a private cgroup2 mount makes
 * them boot (needs CAP_SYS_ADMIN and a private cgroup namespace).
 *
 * @module
 */

/** The first systemd version that requires the unified (v2) cgroup hierarchy. */
export const FIRST_V2_ONLY_SYSTEMD = 258;

/**
 * The file system type mounted at `path`, from /proc/self/mountinfo (proc(5)).
 *
 * @param path A mount point, e.g. "/sys/fs/cgroup".
 * @param mountinfo The text of /proc/self/mountinfo; read when omitted.
 * @returns The type, e.g. "cgroup2" or "tmpfs", or undefined if nothing is mounted there.
 */
export function mountType(
  path: string,
  mountinfo?: string,
): string | undefined {
  const text = mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo");
  let type: string | undefined;
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    if (left.split(" ")[4] === path) type = right.split(" ")[0]; // the last mount wins
  }
  return type;
}

/**
 * Makes /sys/fs/cgroup a cgroup2 mount when `systemdVersion` needs one and it is not.
 *
 * @param systemdVersion The major version of the systemd about to run.
 * @throws {Error} If the remount fails; the message names the `docker run` flags needed.
 */
export async function ensureCgroupV2(systemdVersion: number): Promise<void> {
  if (systemdVersion < FIRST_V2_ONLY_SYSTEMD) return;
  if (mountType("/sys/fs/cgroup") === "cgroup2") return;
  const run = async (cmd: string, args: string[]) => {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!out.success) {
      const why = new TextDecoder().decode(out.stderr).trim();
      throw new Error(
        `systemd ${systemdVersion} needs cgroup v2 and this host gives v1/hybrid; ` +
          `mounting a private cgroup2 failed (${cmd} ${args.join(" ")}: ${why}): ` +
          `run with --cap-add SYS_ADMIN --cgroupns=private, or on a cgroup v2 host`,
      );
    }
  };
  await run("umount", ["-R", "/sys/fs/cgroup"]);
  await run("mount", [
    "-t",
    "cgroup2",
    "-o",
    "nsdelegate",
    "cgroup2",
    "/sys/fs/cgroup",
  ]);
}
