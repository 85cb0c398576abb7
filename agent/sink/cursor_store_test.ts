import assert from "node:assert/strict";
import { CursorStore, RECORD_SIZE } from "./cursor_store.ts";

const CURSOR =
  "s=3f1c6a2f0c2b4d1e9c5d7e8f90a1b2c3;i=1a2b;b=0123456789abcdef0123456789abcdef;m=5f5e100;t=5f5e1000a;x=dead01beef";

Deno.test("CursorStore.load() returns null when nothing was saved", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(new CursorStore(`${dir}/cursor`).load(), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("CursorStore.save() creates the directory and load() returns the cursor", () => {
  const dir = Deno.makeTempDirSync();
  try {
    using store = new CursorStore(`${dir}/sub/cursor`);
    store.save(CURSOR);
    assert.deepEqual(store.load(), { cursor: CURSOR, slot: -1, previous: null });
    assert.deepEqual(new CursorStore(`${dir}/sub/cursor`).load(), {
      cursor: CURSOR,
      slot: -1,
      previous: null,
    });
    assert.equal(
      Deno.readTextFileSync(`${dir}/sub/cursor`),
      CURSOR + "\n".repeat(RECORD_SIZE - CURSOR.length),
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["cursor"]);
    // A shorter cursor replaces a longer one whole.
    store.save("s=1;i=2");
    assert.deepEqual(store.load(), { cursor: "s=1;i=2", slot: -1, previous: null });
    assert.equal(Deno.statSync(`${dir}/sub/cursor`).size, RECORD_SIZE);
    store.save(CURSOR.replace("i=1a2b", "i=1a2c"), 1);
    assert.deepEqual(store.load(), {
      cursor: CURSOR.replace("i=1a2b", "i=1a2c"),
      slot: 1,
      previous: null,
    });
    assert.ok(
      Deno.readTextFileSync(`${dir}/sub/cursor`).startsWith(
        `${CURSOR.replace("i=1a2b", "i=1a2c")}\nslot=1\n\n`,
      ),
    );
    store.save(CURSOR, 0, CURSOR.replace("i=1a2b", "i=1a2c"));
    assert.deepEqual(store.load(), {
      cursor: CURSOR,
      slot: 0,
      previous: CURSOR.replace("i=1a2b", "i=1a2c"),
    });
    store.clear();
    assert.equal(store.load(), null);
    store.clear();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("CursorStore.load() treats a file that holds no cursor as none", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/cursor`, "s=12;i=");
    assert.equal(new CursorStore(`${dir}/cursor`).load(), null);
    Deno.writeTextFileSync(`${dir}/cursor`, "");
    assert.equal(new CursorStore(`${dir}/cursor`).load(), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("CursorStore.commit() writes only what stage() prepared", () => {
  const dir = Deno.makeTempDirSync();
  try {
    using store = new CursorStore(`${dir}/cursor`);
    store.commit();
    assert.equal(store.load(), null);
    store.stage(CURSOR);
    assert.equal(store.load(), null);
    store.commit();
    assert.deepEqual(store.load(), { cursor: CURSOR, slot: -1, previous: null });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("CursorStore.save() rejects a string that is not a cursor", () => {
  using store = new CursorStore("/nonexistent/cursor");
  assert.throws(() => store.save("s=1;i=2\n"), TypeError);
  assert.throws(() => store.save(""), TypeError);
});
