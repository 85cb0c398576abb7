/**
 * Reads, from the image being built, the facts `containering-systemd install` decides on
 * ({@link InstallFacts}).
 *
 * @module
 */
import { findSystemd, PreflightError, systemdVersion } from "../bootstrap/preflight.ts";
import { type InstallFacts, TREE_FILES } from "./prerequisites.ts";

/** Where Debian, Fedora and Arch keep PAM modules (pam(8)); `*` is the multiarch triplet. */
const PAM_DIRS = [
  "/usr/lib/*/security",
  "/lib/*/security",
  "/usr/lib64/security",
  "/usr/lib/security",
];
/** The D-Bus system bus implementations (packages dbus-daemon and dbus-broker). */
const DBUS_BINARIES = ["/usr/bin/dbus-daemon", "/usr/bin/dbus-broker"];

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

/** Whether `name` is in one of PAM's module directories (`*` in a directory expanded). */
function hasPamModule(name: string): boolean {
  for (const dir of PAM_DIRS) {
    const [head, tail] = dir.split("*");
    if (tail === undefined) {
      if (exists(`${dir}/${name}`)) return true;
      continue;
    }
    try {
      for (const e of Deno.readDirSync(head!)) {
        if (exists(`${head}${e.name}${tail}/${name}`)) return true;
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return false;
}

/** Whether `name` is an executable on PATH (the build's PATH, as a shell would search it). */
function onPath(name: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  return path.split(":").some((dir) => dir !== "" && exists(`${dir}/${name}`));
}

/** dlopen(3)'s message for libsystemd.so.0, or null if it loads. */
function libsystemdError(): string | null {
  try {
    Deno.dlopen("libsystemd.so.0", {}).close();
    return null;
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) throw e;
    return e instanceof Error ? e.message.split("\n")[0]! : String(e);
  }
}

/**
 * Reads the facts from the running system (the image being built).
 *
 * @returns What {@link checkPrerequisites} needs.
 * @throws {Deno.errors.PermissionDenied} Without `-A`.
 */
export async function readInstallFacts(): Promise<InstallFacts> {
  let systemd: string | null = null;
  let version: number | null = null;
  try {
    systemd = findSystemd();
    version = await systemdVersion(systemd);
  } catch (e) {
    if (!(e instanceof PreflightError)) throw e;
  }
  return {
    systemd,
    systemdVersion: version,
    systemctl: onPath("systemctl"),
    libsystemdError: libsystemdError(),
    missingTreeFiles: TREE_FILES.filter((f) => !exists(f)),
    dbus: DBUS_BINARIES.some(exists),
    pamSystemd: hasPamModule("pam_systemd.so"),
  };
}
