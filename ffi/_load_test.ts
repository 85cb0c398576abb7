import assert from "node:assert/strict";
import { loadLibrary } from "./_load.ts";

Deno.test("loadLibrary() binds a symbol when it is first read, then keeps it", () => {
  const lib = loadLibrary("libc", ["libc.so.6"], {
    getpid: { parameters: [], result: "i32" },
    no_such_symbol_here: { parameters: [], result: "i32", optional: true },
  });
  const first = lib.getpid;
  assert.equal(first(), Deno.pid);
  assert.equal(lib.getpid, first);
  assert.equal(lib.no_such_symbol_here, null);
  assert.deepEqual(Object.keys(lib), ["getpid", "no_such_symbol_here"]);
});

Deno.test("loadLibrary() names every path tried when none loads", () => {
  assert.throws(
    () => loadLibrary("libnothing", ["/no/such/a.so", "/no/such/b.so"], {}),
    /^Error: Cannot load libnothing: tried \/no\/such\/a\.so: .*; \/no\/such\/b\.so: /,
  );
});
