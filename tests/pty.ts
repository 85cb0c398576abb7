/**
 * Running a command on a pseudo-terminal, for tests of `docker run -it` (Ctrl-C). Uses
 * util-linux `script(1)`, which gives the command a pty and copies our stdin to it, so
 * writing "\x03" to it is a user typing Ctrl-C.
 *
 * @module
 */

/** Quotes `s` for sh(1). */
function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A command running on a pty. */
export class PtyProcess implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #output: Promise<Deno.CommandOutput>;

  /**
   * Starts `cmd` on a new pty.
   *
   * @param cmd The command and its arguments.
   */
  constructor(cmd: string[]) {
    this.#child = new Deno.Command("script", {
      args: ["-qfec", cmd.map(shQuote).join(" "), "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#output = this.#child.output();
  }

  /** Types `text` on the terminal (e.g. "\x03" for Ctrl-C). */
  async type(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /**
   * Waits for the command to end.
   *
   * @param timeoutMs Kill it after this long. @default 30,000
   * @returns Its exit code and what it wrote to the terminal.
   */
  async wait(timeoutMs = 30_000): Promise<{ code: number; output: string }> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      const out = await this.#output;
      return { code: out.code, output: new TextDecoder().decode(out.stdout) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the command (SIGKILL to script). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  /** Kills the command if it still runs and reaps it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.#writer.close().catch(() => {});
    await this.#output.catch(() => {});
  }
}
