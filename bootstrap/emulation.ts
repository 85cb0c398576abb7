/**
 * Emulation (an arm64 image on an x86-64 host under qemu-user, an amd64 image on Apple
 * Silicon under Rosetta or qemu): every Deno start takes seconds there, the agent's too,
 * so journalagent.service's `TimeoutStartSec=8s` would kill it before its READY=1 and
 * restart it again and again. The bootstrap detects emulation and gives the agent's
 * start more time in a runtime drop-in (docs/runtimes.md, "arm64").
 *
 * The detection: the kernel's record of which program runs this process is the
 * emulator, whose ELF machine is the host's, not the one this Deno was built for.
 * `/proc/self/exe` cannot show it (qemu-user answers with the emulated program), but
 * `/proc/self/task/PID/exe` is the kernel's own (qemu-user 7.2 rewrites only
 * `/proc/self/X` and `/proc/PID/X`).
 *
 * @module
 */
import { AGENT_DROPIN_DIR, writeAgentDropIn } from "./agent_memory.ts";
import { warn } from "./_warn.ts";

/**
 * The ELF `e_machine` of each `Deno.build.arch` (elf(5); the values from the System V
 * ABI's registry, as in <elf.h>: EM_X86_64, EM_AARCH64, EM_RISCV).
 */
export const ELF_MACHINES: Readonly<Record<string, number>> = {
  x86_64: 62,
  aarch64: 183,
  riscv64: 243,
};

/**
 * The agent's `TimeoutStartSec=` under emulation: the slowest start measured under
 * qemu-user on a loaded 2-core machine (docs/runtimes.md, "arm64") with room to spare.
 */
export const EMULATED_AGENT_START_TIMEOUT_SEC = 120;

/** The drop-in's name: after the memory drop-in, before a user's `override.conf`. */
export const EMULATION_DROPIN_NAME = "20-containering-systemd-emulation.conf";

/**
 * The ELF machine of an executable from its first 20 bytes.
 *
 * @param header At least the first 20 bytes of the file (the ELF header's e_ident,
 *   e_type and e_machine; elf(5)).
 * @returns `e_machine`, or undefined if the bytes are no ELF header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = new Uint8Array(20);
 * h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
 * h[18] = 183;
 * assert.equal(elfMachine(h), 183);
 * ```
 */
export function elfMachine(header: Uint8Array): number | undefined {
  if (header.length < 20) return undefined;
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    return undefined;
  }
  const view = new DataView(header.buffer, header.byteOffset, 20);
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian.
  if (header[5] === 1) return view.getUint16(18, true);
  if (header[5] === 2) return view.getUint16(18, false);
  return undefined;
}

/**
 * Whether this process runs under emulation: the program the kernel runs is built for
 * another machine than this Deno.
 *
 * @param header The first bytes of the kernel's executable of this process
 *   (`/proc/self/task/PID/exe`), or undefined if it could not be read.
 * @param arch `Deno.build.arch` of the running Deno.
 * @returns true only when both machines are known and differ; false when in doubt (the
 *   unit's own timeout then holds).
 */
export function isEmulated(header: Uint8Array | undefined, arch: string): boolean {
  const expected = ELF_MACHINES[arch];
  const actual = header && elfMachine(header);
  return expected !== undefined && actual !== undefined && actual !== expected;
}

/**
 * The drop-in's text.
 *
 * @param timeoutSec `TimeoutStartSec=` in seconds.
 * @returns systemd.unit(5) syntax.
 */
export function emulationDropIn(timeoutSec: number): string {
  return [
    "# Written by systemd-bootstrap: this container runs under emulation (qemu-user,",
    "# Rosetta), where the agent's start takes seconds (docs/runtimes.md).",
    "[Service]",
    `TimeoutStartSec=${timeoutSec}s`,
    "",
  ].join("\n");
}

/**
 * Reads the first 20 bytes of this process's executable as the kernel sees it.
 *
 * @param pid This process's id (its main thread's id too).
 * @returns The bytes, or undefined where /proc does not give them.
 */
export function readOwnExecutableHeader(pid: number = Deno.pid): Uint8Array | undefined {
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(`/proc/self/task/${pid}/exe`);
    const header = new Uint8Array(20);
    let n = 0;
    while (n < header.length) {
      const r = file.readSync(header.subarray(n));
      if (r === null) break;
      n += r;
    }
    return header.subarray(0, n);
  } catch {
    // No /proc, a hidden executable (hidepid=, another mount namespace): not known.
    return undefined;
  } finally {
    file?.close();
  }
}

/**
 * Writes the drop-in that lengthens the agent's start timeout when emulated.
 *
 * @param header See {@link isEmulated}. @default this process's executable
 * @param arch See {@link isEmulated}. @default `Deno.build.arch`
 * @param dir Where to write. @default {@link AGENT_DROPIN_DIR}
 * @returns Whether the drop-in was written (emulation detected).
 * @throws {Deno.errors.PermissionDenied} If the directory cannot be written.
 */
export function writeEmulationTimeout(
  header: Uint8Array | undefined = readOwnExecutableHeader(),
  arch: string = Deno.build.arch,
  dir: string = AGENT_DROPIN_DIR,
): boolean {
  if (!isEmulated(header, arch)) return false;
  writeAgentDropIn(EMULATION_DROPIN_NAME, emulationDropIn(EMULATED_AGENT_START_TIMEOUT_SEC), dir);
  return true;
}

/**
 * The bootstrap's emulation step: {@link writeEmulationTimeout}, after /run is mounted.
 * Never stops the container: a file system error is one warning line on stderr (the
 * agent then keeps the unit's 8 s and may need several starts).
 *
 * @returns Whether the drop-in was written.
 * @throws {Error} Only errors that are not the file system's, unchanged.
 */
export function prepareEmulation(): boolean {
  try {
    return writeEmulationTimeout();
  } catch (e) {
    if (!Object.values(Deno.errors).some((c) => e instanceof c)) throw e;
    warn(
      `cannot lengthen the agent's start timeout under emulation (${(e as Error).message}): ` +
        `set TimeoutStartSec= in a drop-in for journalagent.service (docs/runtimes.md, "arm64")`,
    );
    return false;
  }
}
