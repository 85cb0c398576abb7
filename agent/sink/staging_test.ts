import assert from "node:assert/strict";
import { F_SETPIPE_SZ, O_CLOEXEC, O_NONBLOCK, O_WRONLY } from "../../ffi/linux.ts";
import { cString, libc } from "../../ffi/libc.ts";
import { takeOutputFds } from "./output_fds.ts";
import { OutputSink } from "./output_sink.ts";
import { StagedOutput } from "./staging.ts";

function pipe(): [number, number] {
  const ends = new Int32Array(2);
  assert.equal(libc().pipe2(ends, O_NONBLOCK | O_CLOEXEC), 0);
  assert.equal(libc().fcntl(ends[0]!, F_SETPIPE_SZ, 1 << 20), 1 << 20);
  return [ends[0]!, ends[1]!];
}

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => 97 + ((i + seed) % 26));
}

/** A FIFO whose reader starts after `delayS` seconds and copies everything to `out`. */
async function slowFifo(dir: string, delayS: number) {
  const fifo = `${dir}/fifo`;
  assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
  const reader = new Deno.Command("sh", {
    args: ["-c", `exec 3<"${fifo}"; sleep ${delayS}; cat <&3 >"${dir}/out"`],
  }).spawn();
  const held = libc().open(cString(fifo), O_WRONLY, 0);
  const fds = takeOutputFds({ SYSTEMD_STDOUT_FILENO: String(held) }, { pid: Deno.pid });
  libc().close(held);
  return { sink: new OutputSink(fds.stdout), reader };
}

Deno.test("StagedOutput moves a committed batch on after a restart and drops an uncommitted one", async () => {
  const dir = Deno.makeTempDirSync();
  const stages = [pipe(), pipe()];
  const passed = new Map([["s-0", stages[0]![0]], ["s-1", stages[1]![0]]]);
  try {
    const { sink, reader } = await slowFifo(dir, 0.5);
    // Fill the output pipe so that the committed batch cannot go in yet.
    const first = bytes(sink.capacity, 0);
    await sink.write(first);
    const a = StagedOutput.open(sink, { passed, keep: () => {} }, "s");
    const committed = bytes(300_000, 1);
    a.stage(0, committed);
    assert.equal(a.pending(0), committed.length);
    assert.equal(await a.flush(0, performance.now() + 50), false, "output full: gives up");
    const left = a.pending(0);
    assert.ok(left > 0 && left < committed.length, `part moved on (${left} left)`);
    // The next batch was staged in the other slot, but "the process died" before its
    // commit. A new instance takes over the same pipes.
    a.stage(1, bytes(1000, 2));
    const b = StagedOutput.open(sink, { passed, keep: () => {} }, "s");
    assert.equal(b.pending(0), left);
    assert.equal(b.discard(1), 1000);
    assert.equal(await b.flush(0), true);
    assert.equal(b.pending(0), 0);
    libc().close(sink.fd);
    assert.ok((await reader.status).success);
    const out = Deno.readFileSync(`${dir}/out`);
    assert.equal(out.length, first.length + committed.length);
    assert.deepEqual(out.subarray(first.length), committed);
  } finally {
    stages.flat().forEach((fd) => libc().close(fd));
    Deno.removeSync(dir, { recursive: true });
  }
});
