import assert from "node:assert/strict";
import {
  ELF_MACHINES,
  elfMachine,
  EMULATED_AGENT_START_TIMEOUT_SEC,
  EMULATION_DROPIN_NAME,
  emulationDropIn,
  isEmulated,
  readOwnExecutableHeader,
  writeEmulationTimeout,
} from "./emulation.ts";

/** An ELF header's first 20 bytes for `machine` (little- or big-endian). */
function header(machine: number, bigEndian = false): Uint8Array {
  const h = new Uint8Array(20);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, bigEndian ? 2 : 1, 1]);
  new DataView(h.buffer).setUint16(18, machine, !bigEndian);
  return h;
}

Deno.test("elfMachine() reads e_machine in the header's byte order", () => {
  assert.equal(elfMachine(header(62)), 62);
  assert.equal(elfMachine(header(183)), 183);
  assert.equal(elfMachine(header(22, true)), 22);
  // The two headers seen under qemu-user 7.2 (od of /proc/self/task/1/exe and /proc/self/exe).
  const seen = (m: number[]) =>
    new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, ...m]);
  assert.equal(elfMachine(seen([0x3e, 0])), 62);
  assert.equal(elfMachine(seen([0xb7, 0])), 183);
});

Deno.test("elfMachine() refuses what is no ELF header", () => {
  assert.equal(elfMachine(header(62).subarray(0, 19)), undefined);
  assert.equal(elfMachine(new TextEncoder().encode("#!/bin/sh\necho hello\n")), undefined);
  const h = header(62);
  h[5] = 0;
  assert.equal(elfMachine(h), undefined);
});

Deno.test("isEmulated(): only when both machines are known and differ", () => {
  assert.equal(isEmulated(header(62), "x86_64"), false);
  assert.equal(isEmulated(header(183), "aarch64"), false);
  // qemu-user (x86-64) running the arm64 Deno; Rosetta (arm64) running the x86-64 Deno.
  assert.equal(isEmulated(header(62), "aarch64"), true);
  assert.equal(isEmulated(header(183), "x86_64"), true);
  assert.equal(isEmulated(undefined, "aarch64"), false);
  assert.equal(isEmulated(new Uint8Array(3), "aarch64"), false);
  assert.equal(isEmulated(header(62), "mips"), false);
});

Deno.test("readOwnExecutableHeader() reads this Deno's machine (this host runs natively)", () => {
  const h = readOwnExecutableHeader();
  assert.equal(elfMachine(h!), ELF_MACHINES[Deno.build.arch]);
  assert.equal(isEmulated(h, Deno.build.arch), false);
  assert.equal(readOwnExecutableHeader(2 ** 30), undefined);
});

Deno.test("writeEmulationTimeout() writes TimeoutStartSec= only under emulation", () => {
  assert.match(emulationDropIn(120), /\n\[Service\]\nTimeoutStartSec=120s\n$/);
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(writeEmulationTimeout(header(183), "aarch64", `${dir}/d`), false);
    assert.equal(writeEmulationTimeout(new Uint8Array(0), "aarch64", `${dir}/d`), false);
    assert.throws(() => Deno.statSync(`${dir}/d`), Deno.errors.NotFound);
    assert.equal(writeEmulationTimeout(header(62), "aarch64", `${dir}/d`), true);
    assert.match(
      Deno.readTextFileSync(`${dir}/d/${EMULATION_DROPIN_NAME}`),
      new RegExp(`\\nTimeoutStartSec=${EMULATED_AGENT_START_TIMEOUT_SEC}s\\n`),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
