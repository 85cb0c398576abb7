/**
 * The agent's own memory bounds (`MemoryHigh=`, `MemoryMax=` of journalagent.service),
 * scaled down to fit a small container: a runaway agent must be killed (and restarted,
 * losing nothing, after its cursor) before the whole container is.
 *
 * Measured (docs/agent.md, "Memory"): the agent's anonymous memory is 21 to 41 MiB; its
 * resident size adds about 40 MiB of the Deno binary's file pages, which the kernel can
 * reclaim under pressure.
 *
 * @module
 */

const MIB = 1024 * 1024;

/** The unit's own values (units/journalagent.service), kept in containers of 320 MiB+. */
export const AGENT_MEMORY_HIGH = 96 * MIB;
/** See {@link AGENT_MEMORY_HIGH}. */
export const AGENT_MEMORY_MAX = 160 * MIB;
/** The floor: below this the agent cannot run (anonymous memory up to 41 MiB). */
export const AGENT_MEMORY_MIN_MAX = 56 * MIB;

/** Where the drop-in goes: a runtime unit drop-in directory (systemd.unit(5)). */
export const AGENT_DROPIN_DIR = "/run/systemd/system/journalagent.service.d";
/**
 * The drop-in's name; sorts before `override.conf` (`systemctl edit`) and any
 * `50-*.conf`, so that a user's own `MemoryMax=` in /etc wins.
 */
export const AGENT_DROPIN_NAME = "10-containering-systemd-memory.conf";

/** `MemoryHigh=` and `MemoryMax=` in bytes. */
export interface AgentMemory {
  /** `MemoryHigh=` (systemd.resource-control(5)): throttled and reclaimed above this. */
  high: number;
  /** `MemoryMax=`: killed above this. */
  max: number;
}

/**
 * The agent's bounds for a container memory limit: `MemoryMax=` half the limit (at least
 * 56 MiB, at most 160 MiB), `MemoryHigh=` three quarters of that (at most 96 MiB).
 *
 * @param limitBytes The container's memory limit, or undefined for none.
 * @returns The bounds, or undefined when the unit's own values fit (no limit, or 320
 *   MiB and more).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(agentMemory(128 * 1024 * 1024), { high: 48 << 20, max: 64 << 20 });
 * ```
 */
export function agentMemory(limitBytes: number | undefined): AgentMemory | undefined {
  if (limitBytes === undefined || limitBytes / 2 >= AGENT_MEMORY_MAX) return undefined;
  const max = Math.max(AGENT_MEMORY_MIN_MAX, Math.floor(limitBytes / 2 / MIB) * MIB);
  return { high: Math.min(AGENT_MEMORY_HIGH, Math.floor((max * 3) / 4 / MIB) * MIB), max };
}

/**
 * The drop-in's text.
 *
 * @param memory The bounds.
 * @returns systemd.unit(5) syntax.
 */
export function agentMemoryDropIn(memory: AgentMemory): string {
  return [
    "# Written by systemd-bootstrap for the container's memory limit (docs/agent.md,",
    '# "Memory"): the agent is killed and restarted before the whole container would be.',
    "[Service]",
    `MemoryHigh=${memory.high / MIB}M`,
    `MemoryMax=${memory.max / MIB}M`,
    "",
  ].join("\n");
}

/**
 * Writes the drop-in when the limit calls for smaller bounds than the unit's.
 *
 * @param limitBytes The container's memory limit, or undefined for none.
 * @param dir Where to write. @default {@link AGENT_DROPIN_DIR}
 * @returns The bounds written, or undefined if none were needed.
 * @throws {Deno.errors.PermissionDenied} If the directory cannot be written.
 */
export function writeAgentMemory(
  limitBytes: number | undefined,
  dir: string = AGENT_DROPIN_DIR,
): AgentMemory | undefined {
  const memory = agentMemory(limitBytes);
  if (memory === undefined) return undefined;
  writeAgentDropIn(AGENT_DROPIN_NAME, agentMemoryDropIn(memory), dir);
  return memory;
}

/**
 * Writes a runtime drop-in for journalagent.service (systemd.unit(5), "drop-in"),
 * creating its directory.
 *
 * @param name The file name, e.g. {@link AGENT_DROPIN_NAME}.
 * @param text The drop-in's text.
 * @param dir Where to write. @default {@link AGENT_DROPIN_DIR}
 * @throws {Deno.errors.PermissionDenied} If the directory cannot be written.
 */
export function writeAgentDropIn(name: string, text: string, dir: string = AGENT_DROPIN_DIR) {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  Deno.writeTextFileSync(`${dir}/${name}`, text, { mode: 0o644 });
}
