import assert from "node:assert/strict";
import { JournaldActivity, type ProcSource, procState } from "./journald_activity.ts";

Deno.test("procState() reads the state after the last parenthesis", () => {
  assert.equal(procState("77 (systemd-journal) S 1 77 77 0 -1 4194560"), "S");
  assert.equal(procState("9 (a) b (c)) R 1"), "R");
  assert.equal(procState("12 (x) D"), "D");
  assert.equal(procState(""), undefined);
  assert.equal(procState("12 (x)"), undefined);
  assert.equal(procState("12 (x) 5"), undefined);
});

/** A /proc with processes whose comm and state the test sets. */
function fakeProc(procs: Map<number, { comm: string; state?: string }>) {
  let scans = 0;
  const proc: ProcSource = {
    pids: () => {
      scans++;
      return [...procs.keys()];
    },
    read: (pid, file) => {
      const p = procs.get(pid);
      if (p === undefined) return undefined;
      if (file === "comm") return `${p.comm}\n`;
      return p.state === undefined ? undefined : `${pid} (${p.comm}) ${p.state} 1 1`;
    },
  };
  return { proc, scans: () => scans };
}

Deno.test("JournaldActivity is idle only while every journald sleeps", () => {
  const procs = new Map([[1, { comm: "systemd", state: "S" }], [40, {
    comm: "systemd-journal",
    state: "S",
  }]]);
  const { proc, scans } = fakeProc(procs);
  const a = new JournaldActivity(proc);
  assert.equal(a.idle(), true);
  for (const busy of ["R", "D", "T", "t"]) {
    procs.get(40)!.state = busy;
    assert.equal(a.idle(), false, busy);
  }
  procs.get(40)!.state = "S";
  assert.equal(a.idle(), true);
  assert.equal(scans(), 1);
});

Deno.test("JournaldActivity is busy while an exited journald's successor writes", () => {
  // journald restarted: the old one exited and is not reaped yet (Z), the new one runs.
  // Treating the zombie as idle read the new one's newest entry half written: the fault
  // suite's restart-journald lost 1 of 25,000 entries on 262 so.
  const procs = new Map([[40, { comm: "systemd-journal", state: "S" }]]);
  const { proc, scans } = fakeProc(procs);
  const a = new JournaldActivity(proc);
  assert.equal(a.idle(), true);
  procs.get(40)!.state = "Z";
  procs.set(41, { comm: "systemd-journal", state: "R" });
  assert.equal(a.idle(), false);
  assert.equal(scans(), 2);
  procs.delete(40);
  procs.get(41)!.state = "S";
  assert.equal(a.idle(), true);
  assert.equal(scans(), 2);
});

Deno.test("JournaldActivity is idle with no journald alive, and looks again at every call", () => {
  // The lookup ran between a journald's exit and its successor's start: before, the empty
  // list read as idle for good (the successor was never looked up). At a stop, none is
  // alive after journald's last entry, which must not be held back (it was, 1 s a stop).
  const procs = new Map<number, { comm: string; state?: string }>();
  const { proc, scans } = fakeProc(procs);
  const a = new JournaldActivity(proc);
  assert.equal(a.idle(), true);
  assert.equal(a.idle(), true);
  assert.equal(scans(), 2);
  procs.set(41, { comm: "systemd-journal", state: "R" });
  assert.equal(a.idle(), false); // found at once, and busy
  assert.equal(scans(), 3);
  procs.get(41)!.state = "S";
  assert.equal(a.idle(), true);
  assert.equal(scans(), 3);
});

Deno.test("JournaldActivity finds a restarted journald, and is idle with none", () => {
  const procs = new Map([[40, { comm: "systemd-journal", state: "S" }]]);
  const { proc, scans } = fakeProc(procs);
  const a = new JournaldActivity(proc);
  assert.equal(a.idle(), true);
  procs.delete(40);
  procs.set(41, { comm: "systemd-journal", state: "R" });
  assert.equal(a.idle(), false);
  assert.equal(scans(), 2);
  procs.delete(41);
  assert.equal(a.idle(), true);
});

Deno.test("JournaldActivity with an unreadable state is busy and looks again once a second", () => {
  let now = 0;
  // e.g. /proc mounted with hidepid=
  const procs = new Map<number, { comm: string; state?: string }>([[40, {
    comm: "systemd-journal",
  }]]);
  const { proc, scans } = fakeProc(procs);
  const a = new JournaldActivity(proc, () => now);
  assert.equal(a.idle(), false);
  assert.equal(a.idle(), false);
  assert.equal(scans(), 2); // the first lookup, and one more right away
  now += 999;
  assert.equal(a.idle(), false);
  assert.equal(scans(), 2);
  now += 1;
  procs.set(40, { comm: "systemd-journal", state: "S" });
  assert.equal(a.idle(), true);
});
