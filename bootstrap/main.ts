/**
 * `systemd-bootstrap`: the container entrypoint. Prepares the container, then execs
 * systemd as PID 1 with the interceptor preloaded.
 *
 * @module
 */
import { dropSysBoot } from "./capabilities.ts";
import { ensureCgroupV2 } from "./cgroup.ts";
import { exec } from "./exec.ts";

/** Where the image installs the interceptor (the original project's path). */
export const INTERCEPTOR_PATH = "/usr/lib/libjournalagent_interceptor.so";
/** systemd's own binary, tried in order. */
const SYSTEMD_PATHS = ["/usr/lib/systemd/systemd", "/lib/systemd/systemd"];

/**
 * The major version of the systemd binary at `path`, from `systemd --version`.
 *
 * @param path The systemd binary.
 * @returns e.g. 252.
 * @throws {Error} If the output has no version number.
 */
export async function systemdVersion(path: string): Promise<number> {
  const out = await new Deno.Command(path, {
    args: ["--version"],
    stdout: "piped",
  }).output();
  const m = /^systemd (\d+)/.exec(new TextDecoder().decode(out.stdout));
  if (!m?.[1]) throw new Error(`Cannot tell the version of "${path}"`);
  return Number(m[1]);
}

/** Finds systemd's binary. @throws {Error} If none of the known paths exists. */
export function findSystemd(): string {
  for (const p of SYSTEMD_PATHS) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new Error(
    `systemd not found (tried ${SYSTEMD_PATHS.join(", ")}): install systemd in the image`,
  );
}

/**
 * Prepares the container and execs systemd as PID 1.
 *
 * @param args Arguments for systemd (those given after the image name).
 * @returns Never; on success systemd replaces this process.
 * @throws {Error} On any failed check, with a one-line message saying how to fix it.
 */
export async function runBootstrap(args: string[]): Promise<never> {
  const systemd = findSystemd();
  await ensureCgroupV2(await systemdVersion(systemd));
  dropSysBoot();
  const env = { ...Deno.env.toObject(), LD_PRELOAD: INTERCEPTOR_PATH };
  return exec(systemd, [systemd, ...args], env);
}
