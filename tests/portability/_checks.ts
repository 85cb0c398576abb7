/**
 * The checks the portability tests run on an image outside the default three (Debian 11,
 * the arm64 images under emulation), each a step on one shared container: it boots,
 * forwards a service's line once, passes `docker run -e` to the image's own service,
 * `containering-systemd doctor` is content, and a stop ends with exit 0 and journald's
 * last words in the log.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, delay } from "../harness.ts";

/** The `docker run -e` value the env check looks for. */
export const APP_MODE = "from docker run -e";

/** `-e` settings the shared container is started with for {@link checkEnv}. */
export const CHECK_ENV: Record<string, string> = {
  APP_MODE,
  // "TIME HOST IDENT[PID]: MESSAGE": tests/_flood.ts parses it.
  JOURNALAGENT_OUTPUT: "short-iso",
};

/** Whether a log line (short-iso: "TIME HOST IDENT[PID]: MESSAGE") carries `message`. */
export function isMessage(line: string, message: string): boolean {
  return line.endsWith(`: ${message}`) && /^\S+ \S+ [^:]+: /.test(line) &&
    line.slice(line.indexOf(": ") + 2) === message;
}

/** The lines of the container's stdout that carry exactly the message `message`. */
export async function countLines(c: Container, message: string): Promise<number> {
  return (await c.logs()).stdout.split("\n").filter((l) => isMessage(l, message)).length;
}

/**
 * Waits until `line` is in the container's stdout, then checks it is there exactly once.
 *
 * @throws {AssertionError} If it never comes (within `timeoutMs`) or comes twice.
 */
export async function expectOnce(c: Container, line: string, timeoutMs = 30_000): Promise<void> {
  await c.waitForLogs((l) => l.stdout.split("\n").some((x) => isMessage(x, line)), timeoutMs);
  assert.equal(await countLines(c, line), 1, `"${line}" in the log more than once`);
}

/**
 * PID 1 is systemd of the expected major version, and journalagent.service becomes
 * active within `agentTimeoutMs` (the boot does not wait for it).
 */
export async function checkBoot(
  c: Container,
  systemdMajor: number,
  agentTimeoutMs = 10_000,
): Promise<void> {
  assert.equal((await c.exec(["cat", "/proc/1/comm"])).stdout.trim(), "systemd");
  const v = await c.exec(["systemctl", "--version"]);
  assert.match(v.stdout, new RegExp(`^systemd ${systemdMajor}\\b`), v.stdout);
  const deadline = Date.now() + agentTimeoutMs;
  let state = "";
  while ((state = await agentState(c)) !== "active" && Date.now() < deadline) await delay(200);
  assert.equal(state, "active", "journalagent.service");
}

async function agentState(c: Container): Promise<string> {
  return (await c.exec(["systemctl", "is-active", "journalagent.service"])).stdout.trim();
}

/** A transient service's line reaches the container log, once, within `timeoutMs`. */
export async function checkForwarding(c: Container, timeoutMs = 30_000): Promise<void> {
  const line = `csd-portability: hello from ${c.tag} ${crypto.randomUUID().slice(0, 8)}`;
  const r = await c.exec(["systemd-run", "--quiet", "--collect", "--wait", "/bin/echo", line]);
  assert.equal(r.code, 0, r.stderr);
  await expectOnce(c, line, timeoutMs);
}

/** `docker run -e APP_MODE=...` reaches a service of the image's own (the generator). */
export async function checkEnv(c: Container, timeoutMs = 30_000): Promise<void> {
  const unit = "[Unit]\nDescription=CSD Env Check\n[Service]\nType=oneshot\n" +
    `ExecStart=/bin/sh -c 'echo "csd-env: APP_MODE=$APP_MODE"'\n`;
  const r = await c.sh(
    `cat >/etc/systemd/system/csd-env.service <<'EOF'\n${unit}EOF\n` +
      "systemctl daemon-reload && systemctl start csd-env.service",
  );
  assert.equal(r.code, 0, r.stderr);
  await expectOnce(c, `csd-env: APP_MODE=${APP_MODE}`, timeoutMs);
}

/**
 * `containering-systemd doctor` exits 0 and finds systemd `running` (or, with
 * `degraded`, "degraded" as a warning).
 */
export async function checkDoctor(
  c: Container,
  systemdMajor: number,
  options: { degraded?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const r = await c.exec(["containering-systemd", "doctor"], {
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^systemd +ok +.*version ${systemdMajor}$`, "m"), r.stdout);
  const state = options.degraded
    ? /^system state +warn +degraded$/m
    : /^system state +ok +running$/m;
  assert.match(r.stdout, state, r.stdout);
  assert.match(r.stdout, /^interceptor +ok\b/m, r.stdout);
}

/**
 * The container stops with exit 0 within `limitMs`, its log ending with journald's last
 * message ("Journal stopped") after PID 1's.
 *
 * @param stop How to stop it; resolves to the wall time in milliseconds.
 */
export async function checkStop(
  c: Container,
  limitMs: number,
  stop: () => Promise<number> = async () => (await c.stop()).ms,
): Promise<void> {
  const ms = await stop();
  assert.equal(await c.exitCode(), 0, "exit code after the stop");
  assert.ok(ms < limitMs, `the stop took ${ms.toFixed(0)} ms (limit ${limitMs} ms)`);
  const lines = (await c.logs()).stdout.trimEnd().split("\n");
  const stopped = lines.filter((l) => /systemd-journald\[\d+\]: Journal stopped$/.test(l));
  assert.equal(stopped.length, 1, "journald's last message (Journal stopped), once");
  console.error(`${c.name}: stopped in ${ms.toFixed(0)} ms`);
}
