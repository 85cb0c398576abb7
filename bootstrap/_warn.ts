/**
 * The bootstrap's warnings: one line on stderr that does not stop the container.
 *
 * @module
 */

/**
 * Writes `systemd-bootstrap: warning: MESSAGE` and a newline to stderr.
 *
 * @param message One sentence: what is wrong and how to fix it.
 */
export function warn(message: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`systemd-bootstrap: warning: ${message}\n`));
}
