/**
 * What `containering-systemd install` needs of an image before it makes it a
 * containering-systemd image: the facts it reads and the verdict on them, kept apart so
 * that the verdict is tested without an image.
 *
 * @module
 */

/** Where the tree is in the project's images, and what the own-image recipe copies to `/`. */
export const TREE = "/opt/containering-systemd";

/**
 * The oldest systemd this project tests (Debian 12). Older ones get a warning, not a
 * refusal: what the oldest working one is, is measured separately (docs/recipe.md).
 */
export const OLDEST_TESTED_SYSTEMD = 247;

/**
 * Files the tree puts in place that the image cannot run without; one missing means the
 * tree was not copied whole (or not to `/`).
 */
export const TREE_FILES = [
  "/usr/bin/systemd-bootstrap",
  "/usr/bin/journalagent",
  "/usr/lib/libjournalagent_interceptor.so",
  "/usr/lib/containering-systemd/containering-systemd.js",
  "/usr/lib/containering-systemd/containering-systemd-fast.js",
  "/etc/systemd/system/journalagent.service",
] as const;

/** What {@link checkPrerequisites} decides on, as read from the image. */
export interface InstallFacts {
  /** systemd's binary, or null if none was found. */
  systemd: string | null;
  /** Its major version (e.g. 257), or null if unknown. */
  systemdVersion: number | null;
  /** Whether `systemctl` is on PATH. */
  systemctl: boolean;
  /** Why libsystemd.so.0 did not load (dlopen(3)'s message), or null if it did. */
  libsystemdError: string | null;
  /** The files of {@link TREE_FILES} that are missing. */
  missingTreeFiles: string[];
  /** Whether a D-Bus system bus (dbus-daemon or dbus-broker) is installed. */
  dbus: boolean;
  /** Whether PAM's pam_systemd.so (Debian: libpam-systemd) is installed. */
  pamSystemd: boolean;
}

/** The verdict: errors stop the install, warnings are printed and it goes on. */
export interface PrerequisiteReport {
  /** One line each: what is missing and how to fix it. */
  errors: string[];
  /** One line each: what will not work and how to fix it. */
  warnings: string[];
}

const INSTALL_SYSTEMD = "apt-get install systemd systemd-sysv dbus libsystemd0 libpam-systemd";

/**
 * Decides whether the image has what a containering-systemd image needs (docs/recipe.md,
 * "The install command").
 *
 * @param facts What was read from the image.
 * @returns The errors (the install must stop) and warnings, each one line in the style
 *   `<what is wrong>: <how to fix it>`.
 */
export function checkPrerequisites(facts: InstallFacts): PrerequisiteReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (facts.missingTreeFiles.length > 0) {
    errors.push(
      `${facts.missingTreeFiles.join(", ")} missing: copy the whole tree first ` +
        `(COPY --from=containering-systemd:debian-12 ${TREE}/ /)`,
    );
  }
  if (facts.systemd === null) {
    errors.push(
      "systemd not found (tried /usr/lib/systemd/systemd, /lib/systemd/systemd): install " +
        `it before this step (Debian: ${INSTALL_SYSTEMD})`,
    );
  }
  if (!facts.systemctl) {
    errors.push(`systemctl not found on PATH: install systemd (Debian: ${INSTALL_SYSTEMD})`);
  }
  if (facts.libsystemdError !== null) {
    errors.push(
      `libsystemd.so.0 does not load (${facts.libsystemdError}): install it (Debian: ` +
        "apt-get install libsystemd0); journalagent reads the journal through it",
    );
  }
  if (facts.systemdVersion !== null && facts.systemdVersion < OLDEST_TESTED_SYSTEMD) {
    warnings.push(
      `systemd ${facts.systemdVersion} is older than the oldest tested here ` +
        `(${OLDEST_TESTED_SYSTEMD}): check the image with containering-systemd doctor`,
    );
  }
  if (!facts.dbus) {
    warnings.push(
      "no D-Bus system bus (dbus-daemon or dbus-broker): logind, user managers, " +
        "hostnamectl and timedatectl will not work; install dbus",
    );
  }
  if (!facts.pamSystemd) {
    warnings.push(
      "pam_systemd.so not found: user managers (user@UID.service, lingering) and login " +
        "sessions will not work; install libpam-systemd",
    );
  }
  return { errors, warnings };
}
