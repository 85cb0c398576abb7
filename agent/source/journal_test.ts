import assert from "node:assert/strict";
import { JournalError } from "../../ffi/libsystemd.ts";
import { id128ToHex, parseId128 } from "./id128.ts";
import { Journal } from "./journal.ts";

Deno.test("parseId128() and id128ToHex() round-trip 128-bit IDs", () => {
  const id = parseId128("116e088b-fcd1-44f9-a1aa-a797fd31603a");
  const hex = new Uint8Array(32);
  id128ToHex(id, hex);
  assert.equal(new TextDecoder().decode(hex), "116e088bfcd144f9a1aaa797fd31603a");
  assert.throws(() => parseId128("xyz"), SyntaxError);
});

Deno.test({
  name: "Journal.open() of an empty directory has no entries; close() is safe twice",
  ignore: !hasLibsystemd(),
  fn: () => {
    const dir = Deno.makeTempDirSync();
    try {
      const j = Journal.open({ directory: dir });
      j.seekHead();
      assert.equal(j.next(), false);
      assert.throws(() => j.cursor(), JournalError);
      j.close();
      j.close();
      assert.throws(() => j.seekHead(), TypeError);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Journal.seekCursor() rejects a malformed cursor with EINVAL",
  ignore: !hasLibsystemd(),
  fn: () => {
    const dir = Deno.makeTempDirSync();
    try {
      using j = Journal.open({ directory: dir });
      assert.throws(() => j.seekCursor("not a cursor"), { name: "JournalError", code: "EINVAL" });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

function hasLibsystemd(): boolean {
  try {
    Deno.dlopen(Deno.env.get("CSD_LIBSYSTEMD") ?? "libsystemd.so.0", {}).close();
    return true;
  } catch {
    return false;
  }
}
