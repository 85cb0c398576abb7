import assert from "node:assert/strict";
import { F_DUPFD_CLOEXEC, O_CLOEXEC, O_NONBLOCK } from "../../ffi/linux.ts";
import { libc } from "../../ffi/libc.ts";
import type { FdStore } from "./fd_store.ts";
import { Delivery, type DeliveryStep } from "./delivery.ts";

function pipe(): [number, number] {
  const ends = new Int32Array(2);
  assert.equal(libc().pipe2(ends, O_NONBLOCK | O_CLOEXEC), 0);
  return [ends[0]!, ends[1]!];
}

function dup(fd: number): number {
  const copy = libc().fcntl(fd, F_DUPFD_CLOEXEC, 0);
  assert.ok(copy >= 0);
  return copy;
}

/** Reads what is in the (non-blocking) read end `fd` now, at most `max` bytes. */
function drain(fd: number, max = Infinity): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(65_536);
  while (total < max) {
    const want = Math.min(buf.length, max - total);
    const n = Number(libc().read(fd, buf, BigInt(want)));
    if (n <= 0) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

/**
 * PID 1's fd store, held by the test: it keeps its own copy of each fd handed over and
 * passes a fresh copy at each start, as systemd does. The pipes are real.
 */
class TestFdStore {
  readonly kept = new Map<string, number>();
  /** The store as the next start sees it. */
  start(): FdStore {
    const passed = new Map([...this.kept].map(([n, fd]) => [n, dup(fd)] as [string, number]));
    return { passed, keep: (name, fd) => this.kept.set(name, dup(fd)) };
  }
  close(): void {
    for (const fd of this.kept.values()) libc().close(fd);
    this.kept.clear();
  }
}

/** A journal of `n` batches: entry lines for stdout and stderr, and the last cursor. */
function journal(n: number, size = 1000) {
  const enc = new TextEncoder();
  return Array.from({ length: n }, (_, b) => ({
    stdout: enc.encode(
      Array.from({ length: size / 20 }, (_, i) => `out ${b} ${String(i).padStart(9)}\n`)
        .join(""),
    ),
    stderr: enc.encode(`err ${b}\n`),
    cursor: `i=${(b + 1).toString(16)}`,
  }));
}

type Journal = ReturnType<typeof journal>;

/** The container's outputs and the state that survives a kill. */
class World {
  readonly dir = Deno.makeTempDirSync();
  readonly out = pipe();
  readonly err = pipe();
  store = new TestFdStore();
  /** The fake clock, in ms. */
  clock = 0;
  readonly seen = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };

  /** Opens a delivery as a new agent process would. */
  open(beforeStep?: (step: DeliveryStep) => void): Promise<Delivery> {
    return Delivery.open({ stdout: this.out[1], stderr: this.err[1] }, {
      cursorFile: `${this.dir}/cursor`,
      fdStore: this.store.start(),
      now: () => this.clock,
      beforeStep,
    });
  }

  /** Takes what reached the outputs so far. */
  read(max = Infinity): void {
    this.seen.stdout.push(drain(this.out[0], max));
    this.seen.stderr.push(drain(this.err[0]));
  }

  /** Asserts that the outputs hold each batch of `j` once, in order. */
  assertExactlyOnce(j: Journal): void {
    this.read();
    const text = (parts: Uint8Array[]) => parts.map((p) => new TextDecoder().decode(p)).join("");
    assert.equal(text(this.seen.stdout), text(j.map((b) => b.stdout)));
    assert.equal(text(this.seen.stderr), text(j.map((b) => b.stderr)));
  }

  close(): void {
    this.store.close();
    [...this.out, ...this.err].forEach((fd) => libc().close(fd));
    Deno.removeSync(this.dir, { recursive: true });
  }
}

/** Runs `fn` with a new {@link World}, closed afterwards. */
async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const w = new World();
  try {
    await fn(w);
  } finally {
    w.close();
  }
}

class Killed extends Error {}

/**
 * One agent process: opens, resumes after its cursor, delivers the rest of `j`, saves at
 * the end; or dies (its fds closed, nothing else) when `kill` says so before a step.
 *
 * @returns The delivery's state at start, and whether it was killed.
 */
async function agent(
  w: World,
  j: Journal,
  kill?: { batch: number; step: DeliveryStep },
  deadline = Infinity,
) {
  let batch = -1;
  const d = await w.open((step) => {
    if (kill && batch === kill.batch && step === kill.step) throw new Killed();
  });
  const start = {
    resume: d.resumeCursor,
    recovered: d.recovered,
    dropped: d.dropped,
    pipesLost: d.pipesLost,
  };
  assert.ok(d.staged);
  try {
    batch = j.findIndex((b) => b.cursor === d.resumeCursor) + 1;
    for (; batch < j.length; batch++) {
      const b = j[batch]!;
      if (!await d.deliver(b.stdout, b.stderr, b.cursor, deadline)) {
        d.finish(); // as at the end of a drain that ran out of time
        return { ...start, killed: false, drained: false };
      }
    }
    d.finish();
    return { ...start, killed: false, drained: true };
  } catch (e) {
    if (!(e instanceof Killed)) throw e;
    return { ...start, killed: true, drained: false };
  } finally {
    d.close();
  }
}

Deno.test("Delivery delivers batches once and resumes after the last one", () =>
  withWorld(async (w) => {
    const j = journal(5);
    assert.deepEqual(await agent(w, j.slice(0, 3)), {
      resume: null,
      recovered: 0,
      dropped: 0,
      pipesLost: false,
      killed: false,
      drained: true,
    });
    const again = await agent(w, j);
    assert.equal(again.resume, j[2]!.cursor);
    w.assertExactlyOnce(j);
  }));

const KILL_POINTS: {
  step: DeliveryStep;
  name: string;
  /** Where the next start resumes (a batch index), and whether it moves the killed
   * batch on or throws it away. */
  resumesAfter: number;
  recovers: boolean;
  drops: boolean;
}[] = [
  {
    step: "stage",
    name: "before staging: the batch is read again",
    resumesAfter: 1,
    recovers: false,
    drops: false,
  },
  {
    step: "save",
    name: "after staging, before the cursor save: the staged batch is dropped and read again",
    resumesAfter: 1,
    recovers: false,
    drops: true,
  },
  {
    step: "move",
    name: "after the cursor save, before the move: the next start moves it on",
    resumesAfter: 2,
    recovers: true,
    drops: false,
  },
];

for (const k of KILL_POINTS) {
  Deno.test(`Delivery killed ${k.name}; each batch arrives once`, () =>
    withWorld(async (w) => {
      const j = journal(4);
      assert.equal((await agent(w, j, { batch: 2, step: k.step })).killed, true);
      const after = await agent(w, j);
      const size = j[2]!.stdout.length + j[2]!.stderr.length;
      assert.deepEqual([after.resume, after.recovered, after.dropped], [
        j[k.resumesAfter]!.cursor,
        k.recovers ? size : 0,
        k.drops ? size : 0,
      ]);
      w.assertExactlyOnce(j);
    }));
}

Deno.test("Delivery killed during the move: the next start moves on the rest only", () =>
  withWorld(async (w) => {
    const j = journal(3, 300_000);
    // Fill the container's stdout pipe (1 MiB), then let its reader take 100 KB: the
    // batch goes in part by part.
    await agent(w, []); // sizes the pipes
    const filler = new Uint8Array(65_536).fill(46);
    const fill: Uint8Array[] = [];
    while (Number(libc().write(w.out[1], filler, BigInt(filler.length))) > 0) fill.push(filler);
    const free = 100_000;
    const head = drain(w.out[0], free);
    // The clock is past the deadline: the move gives up at the first EAGAIN, as a kill
    // would interrupt it.
    w.clock = 10;
    const killed = await agent(w, j.slice(0, 1), undefined, 5);
    assert.equal(killed.drained, false);
    w.clock = 0;
    // The reader catches up (the filler it had not read yet, then the rest).
    const rest = drain(w.out[0], fill.length * filler.length - free);
    assert.equal(head.length + rest.length, fill.length * filler.length);
    const after = await agent(w, j);
    assert.equal(after.resume, j[0]!.cursor);
    const moved = j[0]!.stdout.length + j[0]!.stderr.length - after.recovered;
    assert.ok(moved > 0 && after.recovered > 0, `moved ${moved} before the kill`);
    w.assertExactlyOnce(j);
  }));

Deno.test("Delivery at drain: the final save keeps a start with an emptied fd store from repeating", () =>
  withWorld(async (w) => {
    const j = journal(3);
    await agent(w, j.slice(0, 2));
    // A stop and a start empty the fd store: new pipes, but nothing was left staged.
    w.store.close();
    w.store = new TestFdStore();
    const after = await agent(w, j);
    assert.deepEqual([after.resume, after.pipesLost], [j[1]!.cursor, false]);
    w.assertExactlyOnce(j);
  }));

Deno.test("Delivery killed before the final save, fd store emptied: the last batch is repeated, not lost", () =>
  withWorld(async (w) => {
    const j = journal(3);
    // Killed at the third batch's staging: the second batch's record still names its slot.
    await agent(w, j, { batch: 2, step: "stage" });
    w.store.close();
    w.store = new TestFdStore();
    const after = await agent(w, j);
    assert.deepEqual([after.resume, after.pipesLost], [j[0]!.cursor, true]);
    w.read();
    const text = w.seen.stdout.map((p) => new TextDecoder().decode(p)).join("");
    const once = (b: number) => text.split(`out ${b} `).length - 1;
    assert.deepEqual([once(0), once(1), once(2)], [50, 100, 50]);
  }));

Deno.test("Delivery at drain past its deadline: the rest stays staged for the next start", () =>
  withWorld(async (w) => {
    const j = journal(2, 300_000);
    await agent(w, []);
    const filler = new Uint8Array(65_536).fill(46);
    let filled = 0;
    while (Number(libc().write(w.out[1], filler, BigInt(filler.length))) > 0) {
      filled += filler.length;
    }
    w.clock = 10;
    assert.equal((await agent(w, j, undefined, 5)).drained, false);
    w.clock = 0;
    assert.equal(drain(w.out[0], filled).length, filled);
    const after = await agent(w, j);
    assert.equal(after.resume, j[0]!.cursor);
    assert.equal(after.recovered, j[0]!.stdout.length + j[0]!.stderr.length);
    w.assertExactlyOnce(j);
  }));

Deno.test("Delivery without an fd store writes directly and saves the cursor", () =>
  withWorld(async (w) => {
    const j = journal(2);
    const d = await Delivery.open({ stdout: w.out[1], stderr: w.err[1] }, {
      cursorFile: `${w.dir}/cursor`,
    });
    assert.equal(d.staged, false);
    for (const b of j) assert.equal(await d.deliver(b.stdout, b.stderr, b.cursor), true);
    d.finish();
    d.close();
    const bytes = j.reduce((n, b) => n + b.stdout.length + b.stderr.length, 0);
    assert.deepEqual(d.stats, { batches: 2, bytes, splitBatches: 0 });
    assert.equal(Deno.readTextFileSync(`${w.dir}/cursor`).split("\n")[0], j[1]!.cursor);
    w.assertExactlyOnce(j);
  }));

/** The fds this process has open now. */
function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

Deno.test("Delivery writes directly when the fd store refuses the staging pipes", () =>
  withWorld(async (w) => {
    // PID 1 stopped listening at a shutdown (the agent, started late, had sent READY=1):
    // handing over the second pipe fails as sd_pid_notify_with_fds(3) did then.
    const j = journal(3);
    let handed = 0;
    const before = openFds();
    const d = await Delivery.open({ stdout: w.out[1], stderr: w.err[1] }, {
      cursorFile: `${w.dir}/cursor`,
      fdStore: {
        passed: new Map(),
        keep: () => {
          if (++handed === 2) {
            throw new Error("Cannot notify the service manager: ECONNREFUSED");
          }
        },
      },
    });
    try {
      assert.equal(d.staged, false);
      assert.equal(d.stagingRefused, "Cannot notify the service manager: ECONNREFUSED");
      assert.equal(d.resumeCursor, null);
      assert.equal(openFds(), before, "the pipes made for staging are closed again");
      for (const b of j) assert.equal(await d.deliver(b.stdout, b.stderr, b.cursor), true);
      d.finish();
    } finally {
      d.close();
    }
    w.assertExactlyOnce(j);
  }));

Deno.test("Delivery repeats a batch saved in a slot when the fd store refuses new pipes", () =>
  withWorld(async (w) => {
    const j = journal(3);
    await agent(w, j.slice(0, 2), { batch: 1, step: "move" }); // killed: batch 1 saved
    w.read();
    w.store.close(); // PID 1's copies gone (a stop), and then it refuses new ones
    const d = await Delivery.open({ stdout: w.out[1], stderr: w.err[1] }, {
      cursorFile: `${w.dir}/cursor`,
      fdStore: {
        passed: new Map(),
        keep: () => {
          throw new Error("Cannot notify the service manager: ECONNREFUSED");
        },
      },
    });
    try {
      assert.equal(d.staged, false);
      assert.equal(d.pipesLost, true);
      assert.equal(d.resumeCursor, j[0]!.cursor, "resumes before the saved batch");
    } finally {
      d.close();
    }
  }));
