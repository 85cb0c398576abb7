import assert from "node:assert/strict";
import { install, InstallError, MASKED_UNITS } from "./install.ts";
import type { InstallFacts } from "./prerequisites.ts";

const complete: InstallFacts = {
  systemd: "/usr/lib/systemd/systemd",
  systemdVersion: 257,
  systemctl: true,
  libsystemdError: null,
  missingTreeFiles: [],
  dbus: true,
  pamSystemd: true,
};

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
