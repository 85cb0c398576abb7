import assert from "node:assert/strict";
import { OutputBuffer } from "../format/buffer.ts";
import { entryFormat } from "../format/formats.ts";
import type { EntryFields } from "./entry.ts";
import { cursorPosition } from "./gap.ts";
import { EntryReader, type ReaderJournal, TAIL_HOLD_LIMIT_MS } from "./reader.ts";

/**
 * A journal in memory with sd-journal's movement rules, where journald can be "linking"
 * the newest entry: read meanwhile, it lacks its last field, as sd-journal skips a data
 * object whose link is half written (see journald_activity.ts).
 */
class LinkingJournal implements ReaderJournal {
  entries: { cursor: string; fields: string[] }[] = [];
  /** Whether journald is still linking the newest entry's fields. */
  linking = false;
  #pos = -1;

  append(message: string, linking = false): void {
    const n = this.entries.length + 1;
    this.entries.push({ cursor: `s=a;i=${n.toString(16)};t=${n}`, fields: [`MESSAGE=${message}`] });
    this.linking = linking;
  }
  next(): boolean {
    if (this.#pos + 1 >= this.entries.length) return false;
    this.#pos++;
    return true;
  }
  previous(): boolean {
    if (this.#pos <= 0) return false;
    this.#pos--;
    return true;
  }
  cursor(): string {
    return this.entries[this.#pos]!.cursor;
  }
  seekCursor(cursor: string): void {
    this.#pos = this.entries.findIndex((e) => e.cursor === cursor) - 1;
  }
  readEntry(entry: EntryFields): boolean {
    entry.clear();
    const newest = this.#pos === this.entries.length - 1;
    const fields = this.entries[this.#pos]!.fields;
    for (const f of newest && this.linking ? fields.slice(0, -1) : fields) {
      const bytes = new TextEncoder().encode(f);
      entry.reserve(bytes.length);
      entry.data.set(bytes, entry.used);
      entry.commit(bytes.length);
    }
    return true;
  }
}

function setup(options: { writer?: boolean; now?: () => number } = {}) {
  const journal = new LinkingJournal();
  const writer = {
    newest: () => {
      const last = journal.entries.at(-1);
      return last === undefined ? null : cursorPosition(last.cursor)!;
    },
    idle: () => !journal.linking,
  };
  const reader = new EntryReader<OutputBuffer>(journal, {
    format: entryFormat("cat"),
    writer: options.writer === false ? undefined : writer,
    now: options.now,
  });
  const fill = (maxBytes = 1 << 20) => {
    const out = { stdout: new OutputBuffer(), stderr: new OutputBuffer() };
    const r = reader.fill(out, maxBytes);
    return { ...r, text: new TextDecoder().decode(out.stdout.bytes()) };
  };
  return { journal, fill };
}

Deno.test("EntryReader leaves the newest entry for later while journald links it", () => {
  const { journal, fill } = setup();
  journal.append("a");
  journal.append("b");
  journal.append("c", true);
  const first = fill();
  assert.equal(first.text, "a\nb\n");
  assert.equal(first.entries, 2);
  assert.equal(first.held, true);
  assert.equal(first.firstCursor, "s=a;i=1;t=1");
  assert.equal(first.cursor, "s=a;i=2;t=2");
  // Still linking: nothing yet, and nothing consumed.
  assert.deepEqual({ ...fill(), text: "" }, {
    entries: 0,
    cursor: null,
    firstCursor: null,
    unreadable: 0,
    held: true,
    text: "",
  });
  journal.linking = false;
  const second = fill();
  assert.equal(second.text, "c\n");
  assert.equal(second.entries, 1);
  assert.equal(second.held, false);
  assert.equal(second.cursor, "s=a;i=3;t=3");
  assert.equal(fill().entries, 0);
});

Deno.test("EntryReader reads a held entry in the next batch once a successor exists", () => {
  const { journal, fill } = setup();
  journal.append("a", true);
  assert.equal(fill().held, true);
  journal.append("b", true); // journald finished "a" before it wrote "b"
  const r = fill();
  assert.equal(r.text, "a\n");
  assert.equal(r.cursor, "s=a;i=1;t=1");
  journal.linking = false;
  assert.equal(fill().text, "b\n");
});

Deno.test("EntryReader reads the entries before the newest one while journald is busy", () => {
  const { journal, fill } = setup();
  journal.append("a");
  journal.append("b", true);
  assert.equal(fill().text, "a\n");
  // journald finished "b" and is linking "c": "b" goes, "c" waits.
  journal.append("c", true);
  journal.append("d", true);
  const r = fill(2);
  assert.equal(r.text, "b\n");
  assert.equal(r.held, false);
  assert.equal(fill().text, "c\n");
  journal.linking = false;
  assert.equal(fill().text, "d\n");
});

Deno.test(`EntryReader reads the newest entry as it is after ${TAIL_HOLD_LIMIT_MS} ms`, () => {
  let now = 0;
  const { journal, fill } = setup({ now: () => now });
  journal.append("a");
  journal.append("b", true);
  assert.equal(fill().text, "a\n");
  now += TAIL_HOLD_LIMIT_MS - 1;
  assert.equal(fill().held, true);
  now += 1;
  // journald stopped halfway (e.g. SIGSTOP): the entry goes without its last field.
  const r = fill();
  assert.equal(r.entries, 1);
  assert.equal(r.held, false);
  assert.equal(r.text, "");
});

Deno.test("EntryReader without the writer's progress loses the half-linked entry's line", () => {
  // What the agent did before tail_scout.ts and journald_activity.ts: the entry is
  // consumed, its MESSAGE missing, so the cat format writes nothing for it.
  const { journal, fill } = setup({ writer: false });
  journal.append("a");
  journal.append("b", true);
  const r = fill();
  assert.equal(r.text, "a\n");
  assert.equal(r.entries, 2);
  journal.linking = false;
  assert.equal(fill().entries, 0);
});
