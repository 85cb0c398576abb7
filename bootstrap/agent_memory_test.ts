import assert from "node:assert/strict";
import {
  AGENT_DROPIN_NAME,
  agentMemory,
  agentMemoryDropIn,
  writeAgentMemory,
} from "./agent_memory.ts";

const MIB = 1024 * 1024;

Deno.test("agentMemory() scales MemoryMax= to half the limit, MemoryHigh= to 3/4 of it", () => {
  assert.deepEqual(agentMemory(128 * MIB), { high: 48 * MIB, max: 64 * MIB });
  assert.deepEqual(agentMemory(256 * MIB), { high: 96 * MIB, max: 128 * MIB });
  assert.deepEqual(agentMemory(64 * MIB), { high: 42 * MIB, max: 56 * MIB });
  assert.equal(agentMemory(320 * MIB), undefined);
  assert.equal(agentMemory(undefined), undefined);
});

Deno.test("agentMemoryDropIn() writes a [Service] section in MiB", () => {
  assert.match(
    agentMemoryDropIn({ high: 48 * MIB, max: 64 * MIB }),
    /\n\[Service\]\nMemoryHigh=48M\nMemoryMax=64M\n$/,
  );
});

Deno.test("writeAgentMemory() writes only where the limit calls for it", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(writeAgentMemory(undefined, `${dir}/d`), undefined);
    assert.throws(() => Deno.statSync(`${dir}/d`), Deno.errors.NotFound);
    assert.deepEqual(writeAgentMemory(128 * MIB, `${dir}/d`), { high: 48 * MIB, max: 64 * MIB });
    assert.match(Deno.readTextFileSync(`${dir}/d/${AGENT_DROPIN_NAME}`), /MemoryMax=64M/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
