import assert from "node:assert/strict";
import { install, InstallError, linkGeneratorOnSplitUsr, MASKED_UNITS } from "./install.ts";
import { COMPLETE_FACTS as complete } from "./_test_fixtures.ts";

Deno.test("install() stops at the first missing prerequisite, before it changes anything", async () => {
  const logged: string[] = [];
  await assert.rejects(
    install({
      facts: { ...complete, missingTreeFiles: ["/usr/bin/journalagent"], systemd: null },
      log: (l) => logged.push(l),
    }),
    (e: unknown) =>
      e instanceof InstallError && /^\/usr\/bin\/journalagent missing: /.test(e.message),
  );
  // No warning, no summary: nothing ran (the steps write to /etc, which this would show).
  assert.deepEqual(logged, []);
});

Deno.test("MASKED_UNITS names units only, each once", () => {
  assert.equal(new Set(MASKED_UNITS).size, MASKED_UNITS.length);
  for (const u of MASKED_UNITS) assert.match(u, /^[\w@-]+\.(service|timer)$/);
});

Deno.test("linkGeneratorOnSplitUsr() links the generator only where /lib is a directory", async () => {
  const split = await Deno.makeTempDir({ prefix: "csd-root-" });
  const merged = await Deno.makeTempDir({ prefix: "csd-root-" });
  try {
    await Deno.mkdir(`${split}/lib/systemd/system-generators`, { recursive: true });
    await linkGeneratorOnSplitUsr(`${split}/`);
    await linkGeneratorOnSplitUsr(`${split}/`); // twice is harmless
    assert.equal(
      await Deno.readLink(`${split}/lib/systemd/system-generators/containering-systemd-generator`),
      "/usr/lib/systemd/system-generators/containering-systemd-generator",
    );
    await Deno.mkdir(`${merged}/usr/lib/systemd/system-generators`, { recursive: true });
    await Deno.symlink("usr/lib", `${merged}/lib`);
    await linkGeneratorOnSplitUsr(`${merged}/`);
    assert.deepEqual([...Deno.readDirSync(`${merged}/usr/lib/systemd/system-generators`)], []);
  } finally {
    await Deno.remove(split, { recursive: true });
    await Deno.remove(merged, { recursive: true });
  }
});
