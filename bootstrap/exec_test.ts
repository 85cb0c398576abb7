import assert from "node:assert/strict";
import { execMask, STOP_SIGNALS } from "./exec.ts";

/** A sigset_t of 128 bytes with `signals` set. */
function sigset(signals: number[]): Uint8Array {
  const set = new Uint8Array(128);
  for (const s of signals) set[(s - 1) >> 3]! |= 1 << ((s - 1) & 7);
  return set;
}

Deno.test("execMask() keeps the blocked stop signals and clears every other signal", () => {
  const got = execMask(sigset([1, 2, 15, 17, 37, 38, 39, 40, 64]));
  assert.deepEqual(got, sigset([2, 37, 38, 39]));
});

Deno.test("execMask() blocks no stop signal that was not blocked", () => {
  assert.deepEqual(execMask(sigset([37])), sigset([37]));
  assert.deepEqual(execMask(new Uint8Array(128)), new Uint8Array(128));
});

Deno.test("STOP_SIGNALS are SIGINT and SIGRTMIN+3..5 (glibc's SIGRTMIN is 34)", () => {
  assert.deepEqual(STOP_SIGNALS, [2, 34 + 3, 34 + 4, 34 + 5]);
});
