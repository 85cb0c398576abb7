/**
 * The CI version of the soak (`deno task soak` runs an hour): two minutes at 500
 * entries a second with the agent SIGKILLed every 30 s, on debian-12 only. The agent's
 * memory and CPU do not depend on the systemd version (the FFI calls and the loop are
 * the same on 252, 257 and 262; the fault tests cover the versions); debian-12 is the
 * original project's base and the image most users start from.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runSoak } from "../scripts/soak.ts";
import { recordFigure } from "./_figures.ts";

const images = Deno.env.get("CSD_TEST_IMAGES")?.split(",").map((s) => s.trim());
const flags = Deno.env.get("CSD_TEST_FLAGS")?.split(",").map((s) => s.trim());

Deno.test({
  name:
    "soak: 2 minutes at 500 entries/s with SIGKILLs, nothing lost, memory flat [debian-12, minimal]",
  ignore: (images !== undefined && !images.includes("12")) ||
    (flags !== undefined && !flags.includes("minimal")),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const r = await runSoak({
      image: "12",
      minutes: 2,
      rate: 500,
      killEverySeconds: 30,
      sampleEverySeconds: 5,
    });
    const { samples, ...summary } = r;
    recordFigure({ test: "soak", scenario: "2 min", ...summary, samples: samples.length });
    assert.equal(r.stored, 60_000, "journald stored every entry");
    assert.deepEqual({ lost: r.lost, unknown: r.unknown }, { lost: 0, unknown: 0 });
    // At most one batch (256 KiB, short-iso lines > 60 bytes) again per kill.
    assert.ok(r.duplicated <= r.kills * Math.ceil(262_144 / 60), `duplicated ${r.duplicated}`);
    assert.ok(r.kills >= 3, `only ${r.kills} kills`);
    assert.ok(r.rssAnonMaxKiB < 100 * 1024, `RssAnon up to ${r.rssAnonMaxKiB} KiB`);
    assert.ok(r.rssAnonGrowthKiB < 10 * 1024, `RssAnon grew by ${r.rssAnonGrowthKiB} KiB`);
  },
});
