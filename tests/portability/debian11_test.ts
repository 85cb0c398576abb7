/**
 * containering-systemd:debian-11 (systemd 247, glibc 2.31: the oldest systemd and glibc
 * tested, docs/recipe.md): one container with the minimal flags boots, forwards a
 * service's line, passes `docker run -e` to a service, doctor is content, and
 * `docker stop` ends it with exit 0 and journald's last line in the log. The whole
 * end-to-end suite runs on it too: `CSD_TEST_IMAGES=11 deno task e2e`.
 * Builds the image first if needed (tests/portability/_image.ts).
 */
import { Container } from "../harness.ts";
import { ensureImage } from "./_image.ts";
import {
  CHECK_ENV,
  checkBoot,
  checkDoctor,
  checkEnv,
  checkForwarding,
  checkStop,
} from "./_checks.ts";

Deno.test({
  name: "debian-11 (systemd 247): boot, forwarding, env, doctor, stop [debian-11, minimal]",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await ensureImage("11");
    await using c = await Container.start("11", { env: CHECK_ENV, deadlineMs: 120_000 });
    const checks: [string, () => Promise<void>][] = [
      ["boots systemd 247 with the agent active", () => checkBoot(c, 247)],
      ["a service's line is forwarded once", () => checkForwarding(c)],
      ["docker run -e reaches the image's own service", () => checkEnv(c)],
      ["doctor exits 0, systemd running", () => checkDoctor(c, 247)],
      ["docker stop: exit 0 within 3 s, journald's last line logged", () => checkStop(c, 3000)],
    ];
    let ok = true;
    for (const [name, fn] of checks) {
      ok = await t.step({ name, sanitizeResources: false, sanitizeOps: false, fn }) && ok;
    }
    if (!ok) await c.printLogs();
  },
});
