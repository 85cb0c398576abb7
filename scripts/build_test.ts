import assert from "node:assert/strict";
import { nodeModulesOf } from "./build.ts";

Deno.test("nodeModulesOf() finds static imports and requires of node: modules, once each", () => {
  const source = [
    'import { createRequire as __deno_internal_createRequire } from "node:module";',
    'var EventEmitter = __require("node:events").EventEmitter;',
    'import { constants } from "node:os";',
    'var again = __require("node:events");',
    'const x = "node:fs is only a string here";',
  ].join("\n");
  assert.deepEqual(nodeModulesOf(source), ["node:module", "node:events", "node:os"]);
});

Deno.test("nodeModulesOf() finds none in plain code", () => {
  assert.deepEqual(nodeModulesOf('import { a } from "./a.ts";\nconsole.log(a);'), []);
});
