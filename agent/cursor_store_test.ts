import assert from "node:assert/strict";
import { CursorStore } from "./cursor_store.ts";

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
    const store = new CursorStore(`${dir}/sub/cursor`);
    store.save(CURSOR);
    assert.equal(store.load(), CURSOR);
    assert.equal(new CursorStore(`${dir}/sub/cursor`).load(), CURSOR);
    assert.equal(Deno.readTextFileSync(`${dir}/sub/cursor`), `${CURSOR}\n`);
    assert.deepEqual([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["cursor"]);
    store.save(CURSOR.replace("i=1a2b", "i=1a2c"));
    assert.equal(store.load(), CURSOR.replace("i=1a2b", "i=1a2c"));
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

Deno.test("CursorStore.save() rejects a string that is not a cursor", () => {
  const store = new CursorStore("/nonexistent/cursor");
  assert.throws(() => store.save("s=1;i=2\n"), TypeError);
  assert.throws(() => store.save(""), TypeError);
});
