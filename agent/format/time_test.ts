import assert from "node:assert/strict";
import { SecondFormatter, writeMicros } from "./time.ts";

Deno.test("SecondFormatter formats ISO and syslog forms of any second", () => {
  const f = new SecondFormatter();
  const b = new Uint8Array(32);
  for (const ms of [0, 951_868_799_000, 1_795_976_818_000, 4_102_444_799_000]) {
    const s = ms / 1000;
    assert.equal(f.iso(s, b, 0), 19);
    assert.equal(
      new TextDecoder().decode(b.subarray(0, 19)),
      new Date(ms).toISOString().slice(0, 19),
    );
    assert.equal(f.syslog(s, b, 0), 15);
    const d = new Date(ms);
    const month = d.toUTCString().slice(8, 11);
    const want = `${month} ${String(d.getUTCDate()).padStart(2, "0")} ${
      d.toISOString().slice(11, 19)
    }`;
    assert.equal(new TextDecoder().decode(b.subarray(0, 15)), want);
  }
});

Deno.test("writeMicros() writes six digits", () => {
  const b = new Uint8Array(8);
  assert.equal(writeMicros(1_795_976_818_000_007, b, 0), 7);
  assert.equal(new TextDecoder().decode(b.subarray(0, 7)), ".000007");
});
