import assert from "node:assert/strict";
import {
  describeJournalBudget,
  formatSize,
  JOURNAL_DROPIN_NAME,
  journalBudget,
  journalDropIn,
  recordedMemoryLimit,
  runtimeSettings,
  userJournalSettings,
  writeJournalBudget,
} from "./journal_budget.ts";

const MIB = 1024 * 1024;

Deno.test("journalBudget() caps the journal at 1/4 of the limit, 4 to 64 MiB", () => {
  assert.deepEqual(journalBudget(128 * MIB), { maxUse: 32 * MIB, maxFileSize: 4 * MIB });
  assert.deepEqual(journalBudget(256 * MIB), { maxUse: 64 * MIB, maxFileSize: 8 * MIB });
  assert.deepEqual(journalBudget(8 * 1024 * MIB), { maxUse: 64 * MIB, maxFileSize: 8 * MIB });
  assert.deepEqual(journalBudget(16 * MIB), { maxUse: 4 * MIB, maxFileSize: 512 * 1024 });
  assert.deepEqual(journalBudget(24 * MIB), { maxUse: 6 * MIB, maxFileSize: 768 * 1024 });
  assert.deepEqual(journalBudget(undefined), { maxUse: 64 * MIB, maxFileSize: 8 * MIB });
  // Rounded down to whole MiB.
  assert.equal(journalBudget(100 * MIB).maxUse, 25 * MIB);
  assert.equal(journalBudget(90 * MIB).maxUse, 22 * MIB);
});

Deno.test("formatSize() writes whole MiB with M, else K", () => {
  assert.equal(formatSize(16 * MIB), "16M");
  assert.equal(formatSize(512 * 1024), "512K");
});

Deno.test("runtimeSettings() finds Runtime*= in [Journal] only, not in comments", () => {
  assert.deepEqual(
    runtimeSettings("[Journal]\n#RuntimeMaxUse=1G\nStorage=volatile\n RuntimeMaxUse = 8M\n"),
    ["RuntimeMaxUse"],
  );
  assert.deepEqual(runtimeSettings("[Other]\nRuntimeMaxUse=8M\n"), []);
  assert.deepEqual(runtimeSettings("[Journal]\nRuntimeKeepFree=1M\nRuntimeMaxFiles=3"), [
    "RuntimeKeepFree",
    "RuntimeMaxFiles",
  ]);
  assert.deepEqual(runtimeSettings("[Journal]\nRuntimeMaxUse=\n"), []);
});

Deno.test("journalDropIn() writes journald.conf syntax with the limit in a comment", () => {
  const text = journalDropIn(journalBudget(64 * MIB), { bytes: 64 * MIB, source: "/x" });
  assert.match(text, /^# memory limit: 67108864 bytes \(\/x\)\n/);
  assert.match(text, /\n\[Journal\]\nRuntimeMaxUse=16M\nRuntimeMaxFileSize=2M\n$/);
});

Deno.test("writeJournalBudget() writes the drop-in, or nothing when a file sizes the journal", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const user = `${dir}/user.conf`;
    const r = writeJournalBudget(undefined, { dir: `${dir}/d`, files: [user] });
    assert.equal(r.written, true);
    const text = Deno.readTextFileSync(`${dir}/d/${JOURNAL_DROPIN_NAME}`);
    assert.match(text, /RuntimeMaxUse=64M/);
    Deno.removeSync(`${dir}/d`, { recursive: true });
    Deno.writeTextFileSync(user, "[Journal]\nRuntimeMaxUse=200M\n");
    assert.deepEqual(userJournalSettings([user]), { file: user, settings: ["RuntimeMaxUse"] });
    const kept = writeJournalBudget(undefined, { dir: `${dir}/d`, files: [user] });
    assert.equal(kept.written, false);
    assert.throws(() => Deno.statSync(`${dir}/d`), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("describeJournalBudget() reports the drop-in's limit and cap", () => {
  const text = journalDropIn(journalBudget(256 * MIB), { bytes: 256 * MIB, source: "/m" });
  const d = describeJournalBudget((p) =>
    p === `/run/systemd/journald.conf.d/${JOURNAL_DROPIN_NAME}` ? text : undefined
  );
  assert.equal(
    d,
    "limit 268435456 bytes (/m); runtime journal capped at 64M (files of 8M) by " +
      `/run/systemd/journald.conf.d/${JOURNAL_DROPIN_NAME}`,
  );
  assert.equal(
    describeJournalBudget(() => undefined, () => undefined),
    "limit none; the bootstrap would cap the runtime journal at 64M",
  );
});

Deno.test("recordedMemoryLimit() reads the limit back from the drop-in", () => {
  const at = (text: string) => (p: string) =>
    p === `/run/systemd/journald.conf.d/${JOURNAL_DROPIN_NAME}` ? text : undefined;
  const limited = journalDropIn(journalBudget(64 * MIB), { bytes: 64 * MIB, source: "/m" });
  assert.equal(recordedMemoryLimit(at(limited)), 64 * MIB);
  assert.equal(
    recordedMemoryLimit(at(journalDropIn(journalBudget(undefined), undefined))),
    undefined,
  );
  assert.equal(recordedMemoryLimit(() => undefined), undefined);
});
