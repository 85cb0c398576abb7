import assert from "node:assert/strict";
/**
 * Helpers for the bootstrap's end-to-end tests: containers run to their end with flags
 * of the test's choosing (outside the harness's named flag sets).
 *
 * @module
 */
import { delay, docker, FLAG_SETS, TEST_LABEL, uniqueSuffix } from "./harness.ts";
import { imageName, type ImageTag } from "./images.ts";

/** The minimal flag set, as the README documents it. */
export const MINIMAL: readonly string[] = FLAG_SETS.minimal;

/** A container name unique in this test run. */
export function containerName(what: string): string {
  return `csd-test-bs-${what}-${uniqueSuffix()}`;
}

/** How a container run to its end went. */
export interface RunResult {
  /** The container's exit code (`docker run` returns it). */
  code: number;
  /** Its stdout. */
  stdout: string;
  /** Its stderr. */
  stderr: string;
  /** Wall time from `docker run` to its end, in milliseconds. */
  ms: number;
}

/**
 * Runs a container of `tag` attached until it ends, then removes it.
 *
 * @param tag Which image.
 * @param flags `docker run` flags (no flag set is added).
 * @param options `args` after the image name; `timeoutMs` (default 60,000); `image`
 *   to run another image than the project's for `tag`.
 */
export async function runToExit(
  tag: ImageTag,
  flags: string[],
  options: { args?: string[]; timeoutMs?: number; image?: string } = {},
): Promise<RunResult> {
  const name = containerName(tag);
  const t0 = performance.now();
  try {
    const r = await docker(
      [
        "run",
        "--name",
        name,
        "--label",
        TEST_LABEL,
        ...flags,
        options.image ?? imageName(tag),
        ...options.args ?? [],
      ],
      { timeoutMs: options.timeoutMs ?? 60_000 },
    );
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
  } finally {
    await docker(["rm", "-f", "-v", name]);
  }
}

/**
 * Starts container `name` of `image` in the background with the test label and the
 * minimal flag set (`docker run -d`). The caller removes it.
 *
 * @param name The container's name ({@link containerName}).
 * @param image The image to run.
 * @param flags More `docker run` flags (`-e`, `-v`, ...), placed before the image.
 * @throws {AssertionError} If `docker run` fails; the message is its stderr.
 */
export async function runDetached(name: string, image: string, flags: string[] = []) {
  const run = await docker([
    "run",
    "-d",
    "--name",
    name,
    "--label",
    TEST_LABEL,
    ...MINIMAL,
    ...flags,
    image,
  ]);
  assert.equal(run.code, 0, run.stderr);
}

/**
 * Waits until systemd in container `name` reports "running".
 *
 * @throws {Error} After `timeoutMs` (default 30,000).
 */
export async function waitRunning(name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await docker(["exec", name, "systemctl", "is-system-running", "--wait"], {
      timeoutMs: Math.max(1000, deadline - Date.now()),
    });
    last = r.stdout.trim() || r.stderr.trim();
    if (last === "running") return;
    await delay(100);
  }
  throw new Error(`${name}: system not running within ${timeoutMs} ms (${last})`);
}

const agentPresent = new Map<ImageTag, Promise<boolean>>();

/**
 * Whether the image ships journalagent.service, i.e. whether the journal reaches the
 * container log at all (the agent is built separately, issue 4).
 */
export function hasAgent(tag: ImageTag): Promise<boolean> {
  let p = agentPresent.get(tag);
  if (!p) {
    p = docker([
      "run",
      "--rm",
      "--entrypoint",
      "/bin/test",
      imageName(tag),
      "-e",
      "/etc/systemd/system/journalagent.service",
    ]).then((r) => r.code === 0);
    agentPresent.set(tag, p);
  }
  return p;
}

/**
 * Runs `fns` at most `limit` at a time (a few containers at once on a shared machine).
 *
 * @param limit How many run at once.
 * @param fns The jobs.
 * @returns Their results, in the order of `fns`.
 */
export async function pooled<T>(limit: number, fns: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(fns.length);
  let next = 0;
  const worker = async () => {
    while (next < fns.length) {
      const i = next++;
      results[i] = await fns[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, fns.length) }, worker));
  return results;
}
