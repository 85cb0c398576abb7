/**
 * The units systemd counts as failed (what makes the system state "degraded"), for
 * `containering-systemd doctor`.
 *
 * @module
 */

/**
 * Parses the output of `systemctl list-units --state=failed --plain --no-legend
 * --no-pager` (systemctl(1)): one unit a line, its name first. Older systemd versions
 * put a "●" marker before the name even with `--plain`; it is skipped.
 *
 * @param text The command's stdout.
 * @returns The unit names, in systemctl's order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "app.service loaded failed failed App\n";
 * assert.deepEqual(parseFailedUnits(text), ["app.service"]);
 * ```
 */
export function parseFailedUnits(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const words = line.trim().split(/\s+/).filter((w) => w !== "●" && w !== "*");
    return words[0] ? [words[0]] : [];
  });
}

/**
 * Lists the failed units of the running systemd.
 *
 * @returns Their names; empty if there are none.
 * @throws {Error} If systemctl fails (e.g. systemd is not running): its stderr.
 */
export async function failedUnits(): Promise<string[]> {
  const out = await new Deno.Command("systemctl", {
    args: ["list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot list the failed units: systemctl exited ${out.code}: ` +
        new TextDecoder().decode(out.stderr).trim(),
    );
  }
  return parseFailedUnits(new TextDecoder().decode(out.stdout));
}
