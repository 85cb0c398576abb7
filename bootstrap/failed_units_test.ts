import assert from "node:assert/strict";
import { parseFailedUnits } from "./failed_units.ts";

Deno.test("parseFailedUnits() takes the first word of each line", () => {
  const text = "app.service    loaded failed failed App\n" +
    "nginx.service  loaded failed failed A high performance web server\n";
  assert.deepEqual(parseFailedUnits(text), ["app.service", "nginx.service"]);
});

Deno.test("parseFailedUnits() skips the marker older systemctl prints before a name", () => {
  assert.deepEqual(parseFailedUnits("● app.service loaded failed failed App\n"), [
    "app.service",
  ]);
});

Deno.test("parseFailedUnits() returns nothing for no output", () => {
  assert.deepEqual(parseFailedUnits(""), []);
  assert.deepEqual(parseFailedUnits("\n"), []);
});
