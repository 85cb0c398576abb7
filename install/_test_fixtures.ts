/**
 * What the install tests share: the facts of an image where every prerequisite is met.
 *
 * @module
 */
import type { InstallFacts } from "./prerequisites.ts";

/** Every prerequisite met: systemd 257, D-Bus and pam_systemd present. */
export const COMPLETE_FACTS: InstallFacts = {
  systemd: "/usr/lib/systemd/systemd",
  systemdVersion: 257,
  systemctl: true,
  libsystemdError: null,
  missingTreeFiles: [],
  dbus: true,
  pamSystemd: true,
};
