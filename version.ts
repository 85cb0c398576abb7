/** The version of containering-systemd, as printed by `containering-systemd version`. */
export const VERSION = "0.1.0";
