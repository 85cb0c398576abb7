/**
 * The container's memory limit, as the cgroup file system shows it before systemd starts
 * (the bootstrap may replace /sys/fs/cgroup with a private cgroup2 right after, which on a
 * hybrid host has no memory controller).
 *
 * @module
 */
import { readIfExists } from "./_read.ts";

/** A memory limit and where it was read. */
export interface MemoryLimit {
  /** The limit in bytes. */
  bytes: number;
  /** The file it came from, e.g. "/sys/fs/cgroup/memory/memory.limit_in_bytes". */
  source: string;
}

/**
 * cgroup v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 on 4 KiB
 * pages); anything from 2^60 up counts as none.
 */
const V1_UNLIMITED = 2 ** 60;

/** Options for {@link readMemoryLimit}. */
export interface ReadMemoryLimitOptions {
  /** The text of /proc/self/cgroup (cgroups(7)). @default read */
  procCgroup?: string;
  /** Where the cgroup hierarchies are mounted. @default "/sys/fs/cgroup" */
  root?: string;
  /** Reads a file's text, or returns undefined if it does not exist. @default Deno */
  readFile?: (path: string) => string | undefined;
}

/** `/a/b/c` → `["/a/b/c", "/a/b", "/a", ""]` (the container's cgroup and its ancestors). */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) {
    out.push(i === 0 ? "" : "/" + parts.slice(0, i).join("/"));
  }
  return out;
}

/**
 * The smallest limit in `file` along the cgroup's path and its ancestors, looked up both
 * under `base` + the path (the container shares the host's cgroup namespace, e.g. plain
 * `--privileged`: /sys/fs/cgroup/memory shows the host's tree and /proc/self/cgroup the
 * container's place in it) and at `base` itself (a private cgroup namespace, or runc's
 * bind mount of the container's own cgroup).
 */
function smallest(
  base: string,
  path: string,
  file: string,
  parse: (text: string) => number | undefined,
  read: (path: string) => string | undefined,
): MemoryLimit | undefined {
  let best: MemoryLimit | undefined;
  const seen = new Set<string>();
  for (const p of [...ancestors(path), ""]) {
    const source = `${base}${p}/${file}`;
    if (seen.has(source)) continue;
    seen.add(source);
    const text = read(source);
    if (text === undefined) continue;
    const bytes = parse(text.trim());
    if (bytes !== undefined && (best === undefined || bytes < best.bytes)) {
      best = { bytes, source };
    }
  }
  return best;
}

/**
 * Reads the container's memory limit: cgroup v1 `memory.limit_in_bytes` of the memory
 * controller's hierarchy first (on a hybrid host the cgroup2 has no memory controller),
 * then cgroup v2 `memory.max` (Documentation/admin-guide/cgroup-v2.rst). The container's
 * cgroup comes from /proc/self/cgroup; the smallest limit of it and its ancestors counts
 * (a Kubernetes Pod's limit sits on the Pod's cgroup, a parent of the container's).
 *
 * @param options Where to read; the defaults read this process's cgroups.
 * @returns The limit, or undefined if there is none (or no cgroup file shows one).
 */
export function readMemoryLimit(options: ReadMemoryLimitOptions = {}): MemoryLimit | undefined {
  const read = options.readFile ?? readIfExists;
  const root = options.root ?? "/sys/fs/cgroup";
  const procCgroup = options.procCgroup ?? read("/proc/self/cgroup") ?? "";
  let v1Path: string | undefined;
  let v2Path: string | undefined;
  for (const line of procCgroup.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "0" && m[2] === "") v2Path = m[3];
    else if (m[2]!.split(",").includes("memory")) v1Path = m[3];
  }
  if (v1Path !== undefined) {
    const v1 = smallest(`${root}/memory`, v1Path, "memory.limit_in_bytes", (t) => {
      const n = Number(t);
      return Number.isFinite(n) && n > 0 && n < V1_UNLIMITED ? n : undefined;
    }, read);
    if (v1) return v1;
  }
  if (v2Path !== undefined) {
    return smallest(root, v2Path, "memory.max", (t) => {
      if (t === "max") return undefined;
      const n = Number(t);
      return Number.isFinite(n) && n > 0 ? n : undefined;
    }, read);
  }
  return undefined;
}

/** The least memory limit the images are tested with, in bytes (docs/agent.md, "Memory"). */
export const MEMORY_LIMIT_MINIMUM = 128 * 1024 * 1024;

/**
 * The advice for a memory limit below {@link MEMORY_LIMIT_MINIMUM}: systemd, journald, the
 * journal and the agent together take about 60 MiB during a log flood, so a 64 MiB
 * container was OOM-killed as a whole in 1 of 3 floods (a 128 MiB one peaked at 93 MiB).
 *
 * @param limitBytes The container's memory limit in bytes, or undefined if none.
 * @returns One sentence saying what is wrong and how to fix it, or undefined if the limit
 *   is enough.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(memoryLimitAdvice(256 * 2 ** 20), undefined);
 * assert.match(memoryLimitAdvice(64 * 2 ** 20)!, /64 MiB is below 128 MiB/);
 * ```
 */
export function memoryLimitAdvice(limitBytes: number | undefined): string | undefined {
  if (limitBytes === undefined || limitBytes >= MEMORY_LIMIT_MINIMUM) return undefined;
  const mib = Math.floor(limitBytes / 2 ** 20);
  return `the container's memory limit of ${mib} MiB is below 128 MiB, the least this image ` +
    "is tested with: systemd, journald and the agent take about 60 MiB during a log flood, " +
    "so the whole container can be OOM-killed; give it at least 128 MiB (--memory 128m)";
}
