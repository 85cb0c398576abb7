/**
 * The bootstrap's memory step: reads the container's memory limit, caps the runtime
 * journal to fit it (journal_budget.ts) and scales the agent's own bounds
 * (agent_memory.ts), in drop-ins on a /run that systemd will keep.
 *
 * @module
 */
import { OsError } from "../ffi/libc.ts";
import { writeAgentMemory } from "./agent_memory.ts";
import { type JournalBudgetResult, writeJournalBudget } from "./journal_budget.ts";
import { memoryLimitAdvice, readMemoryLimit } from "./memory_limit.ts";
import type { Host } from "./preflight.ts";
import { mountRunLikeSystemd } from "./run_mount.ts";
import { warn } from "./_warn.ts";

/**
 * Caps the runtime journal and the agent's memory for the container's memory limit. Never stops the container:
 * a failure is reported as one warning line on stderr (journald then uses its own cap),
 * and so is a limit below 128 MiB ({@link memoryLimitAdvice}).
 *
 * @param host What the process may do (the mounts and /proc/self/cgroup are used).
 * @returns What was done, or undefined after a failure.
 */
export function prepareJournalBudget(host: Host): JournalBudgetResult | undefined {
  const limit = readMemoryLimit({ procCgroup: host.procCgroup });
  const advice = memoryLimitAdvice(limit?.bytes);
  if (advice !== undefined) warn(advice);
  try {
    // Without a tmpfs at /run, systemd mounts one over whatever is written there now.
    mountRunLikeSystemd(host.mountinfo);
    writeAgentMemory(limit?.bytes);
    return writeJournalBudget(limit);
  } catch (e) {
    // Any file system error (EROFS, EACCES, ENOSPC, ...) or a refused mount.
    const fsError = Object.values(Deno.errors).some((c) => e instanceof c);
    if (!(e instanceof Error) || !(e instanceof OsError || fsError)) throw e;
    warn(
      `cannot cap the runtime journal for the memory limit (${e.message}): set ` +
        'RuntimeMaxUse= in /etc/systemd/journald.conf.d/ (docs/bootstrap.md, "Memory")',
    );
    return undefined;
  }
}
