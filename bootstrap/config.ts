/**
 * systemd-bootstrap's own settings, from flags and `CSD_*` environment variables.
 *
 * @module
 */

/** The settings systemd-bootstrap reads. */
export interface BootstrapConfig {
  /**
   * The unit whose end ends the container, with its exit status (`--main-unit`,
   * `CSD_MAIN_UNIT`). A name without a type suffix gets ".service".
   * @default undefined (the container runs until stopped)
   */
  mainUnit?: string;
  /**
   * Whether the container's environment reaches every service (`--no-pass-environment`,
   * `CSD_PASS_ENVIRONMENT=no` turn it off).
   * @default true
   */
  passEnvironment: boolean;
  /**
   * Seconds the image's health check holds before it answers, after its first answer
   * (`CSD_HEALTH_HOLD`, read by /usr/libexec/containering-systemd/healthcheck; checked
   * here so that a bad value stops the container at start, not only its health).
   * @default undefined (the check's default, 59)
   */
  healthHold?: number;
}

/** The environment variables systemd-bootstrap reads, for usage texts. */
export const BOOTSTRAP_ENV = {
  CSD_MAIN_UNIT: "unit whose exit ends the container with its exit status",
  CSD_PASS_ENVIRONMENT: "yes|no: pass the container's environment to every service (yes)",
  CSD_HEALTH_HOLD: "whole seconds each later health check holds (59; 0: none)",
} as const;

/** The largest CSD_HEALTH_HOLD accepted, in s (a day). */
const HEALTH_HOLD_MAX = 86_400;

/**
 * A setting that is invalid. `fix` tells how to correct it, with `docker run` flags.
 */
export class BootstrapConfigError extends Error {
  override name = "BootstrapConfigError";
  /** What is wrong. */
  readonly problem: string;
  /** What to do about it, e.g. `use -e CSD_MAIN_UNIT=app.service`. */
  readonly fix: string;

  /**
   * @param problem What is wrong, e.g. `invalid CSD_MAIN_UNIT "a/b"`.
   * @param fix What to do about it.
   * @param options The error that caused it, if any.
   */
  constructor(problem: string, fix: string, options?: ErrorOptions) {
    super(`${problem}: ${fix}`, options);
    this.problem = problem;
    this.fix = fix;
  }
}

/** Unit types a main unit may have (systemd.unit(5)); ones that can "finish". */
const UNIT_SUFFIXES = [".service", ".scope", ".target", ".mount", ".socket", ".timer", ".path"];
/** Valid unit name characters (systemd's VALID_CHARS plus "@" for instances). */
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+$/;
/** systemd's UNIT_NAME_MAX. */
const UNIT_NAME_MAX = 255;

/**
 * Normalizes and checks a unit name as systemctl would take it (unit_name_is_valid()).
 *
 * @param name e.g. "app" or "app.service".
 * @param setting The flag or variable it came from, for the message.
 * @returns The name with a ".service" suffix added when it had no unit type.
 * @throws {BootstrapConfigError} If it is not a valid unit name.
 */
export function parseUnitName(name: string, setting: string): string {
  const full = UNIT_SUFFIXES.some((s) => name.endsWith(s)) ? name : `${name}.service`;
  const stem = full.slice(0, full.lastIndexOf("."));
  if (
    !UNIT_NAME.test(full) || stem === "" || full.length > UNIT_NAME_MAX ||
    full.startsWith("@") || full.endsWith("@.service")
  ) {
    throw new BootstrapConfigError(
      `invalid ${setting} ${JSON.stringify(name)}`,
      `give a unit name such as app.service (letters, digits, ":-_.\\@")`,
    );
  }
  return full;
}

/**
 * Parses a boolean as systemd does (parse_boolean(): 1/yes/y/true/t/on, 0/no/n/false/f/off).
 *
 * @throws {BootstrapConfigError} For anything else.
 */
export function parseBoolean(value: string, setting: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "yes", "y", "true", "t", "on"].includes(v)) return true;
  if (["0", "no", "n", "false", "f", "off"].includes(v)) return false;
  throw new BootstrapConfigError(
    `invalid ${setting} ${JSON.stringify(value)}`,
    `use -e ${setting}=yes or -e ${setting}=no`,
  );
}

/**
 * Reads the bootstrap's settings; flags win over the environment.
 *
 * @param flags Parsed flags: `mainUnit` (`--main-unit`), `passEnvironment` (false with
 *   `--no-pass-environment`).
 * @param env The container's environment.
 * @returns The validated settings.
 * @throws {BootstrapConfigError} For the first invalid value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = parseBootstrapConfig({}, { CSD_MAIN_UNIT: "app" });
 * assert.equal(c.mainUnit, "app.service");
 * ```
 */
export function parseBootstrapConfig(
  flags: { mainUnit?: string; passEnvironment?: boolean },
  env: Record<string, string | undefined>,
): BootstrapConfig {
  const config: BootstrapConfig = { passEnvironment: true };
  if (flags.mainUnit !== undefined) {
    config.mainUnit = parseUnitName(flags.mainUnit, "--main-unit");
  } else if (env.CSD_MAIN_UNIT) {
    config.mainUnit = parseUnitName(env.CSD_MAIN_UNIT, "CSD_MAIN_UNIT");
  }
  if (flags.passEnvironment === false) config.passEnvironment = false;
  else if (env.CSD_PASS_ENVIRONMENT) {
    config.passEnvironment = parseBoolean(env.CSD_PASS_ENVIRONMENT, "CSD_PASS_ENVIRONMENT");
  }
  if (env.CSD_HEALTH_HOLD !== undefined) {
    const hold = env.CSD_HEALTH_HOLD;
    if (!/^[0-9]+$/.test(hold) || Number(hold) > HEALTH_HOLD_MAX) {
      throw new BootstrapConfigError(
        `invalid CSD_HEALTH_HOLD ${JSON.stringify(hold)}`,
        `give whole seconds from 0 to ${HEALTH_HOLD_MAX}, e.g. -e CSD_HEALTH_HOLD=59 ` +
          "(with 75 or more also raise --health-timeout above it)",
      );
    }
    config.healthHold = Number(hold);
  }
  return config;
}
