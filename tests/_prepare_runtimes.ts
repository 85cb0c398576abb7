/**
 * Run by scripts/e2e.sh in the background while the parallel phase runs: starts the
 * project's containerd 1 and 2 (scripts/ensure_containerd.sh; CSD_TEST_CONTAINERD picks,
 * as for the tests) and copies the selected images (CSD_TEST_IMAGES) into them and into
 * Podman, the set-up that tests/cri_test.ts, tests/ctr_test.ts and tests/podman_test.ts
 * would otherwise do in the timed phase; and first starts the builds of the docs'
 * example images (tests/_example_images.ts, apt-get downloads mostly), which
 * service_logs_test and recipe_test then find in the build cache. The tests still do
 * all of it themselves (same image ID, else they copy; a cached build), so a failure
 * here only costs time. Prints one line per step; exits 1 if a step failed.
 *
 * @module
 */
import { CriClient, ensureContainerd } from "./_cri.ts";
import { loadImage, podmanBinary } from "./_podman.ts";
import { imageName, testImageTags } from "./images.ts";
import { buildRecipeImage, buildServiceLogsImage, RECIPE_BASES } from "./_example_images.ts";

const tags = testImageTags();
let failed = false;

/** Runs one step, printing how long it took or why it failed. */
async function step(what: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
    console.log(`prepare: ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failed = true;
    console.error(`prepare: ${what} failed: ${e instanceof Error ? e.message : e}`);
  }
}

/** Runs a `docker build` as a step. */
function build(what: string, run: () => Promise<{ code: number; stderr: string }>) {
  return step(what, async () => {
    const r = await run();
    if (r.code !== 0) throw new Error(r.stderr.trim().split("\n").slice(-3).join(" "));
  });
}

// The builds wait on downloads: all at once, beside the rest.
const builds = Promise.all([
  ...tags.map((tag) =>
    build(`build nginx example on debian-${tag}`, () => buildServiceLogsImage(tag))
  ),
  ...(tags.includes("12")
    ? RECIPE_BASES.map((base) =>
      build(`build recipe example on debian-${base}`, () => buildRecipeImage(base))
    )
    : []),
]);

// The rest one thing at a time: the parallel phase is running beside this.
const majors = Deno.env.get("CSD_TEST_CONTAINERD")?.split(",").map((s) => s.trim());
for (const major of (["1", "2"] as const).filter((m) => !majors || majors.includes(m))) {
  const t0 = performance.now();
  const setup = await ensureContainerd(major);
  console.log(`prepare: containerd ${major}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (setup.skip) {
    console.log(`prepare: containerd ${major} skipped: ${setup.skip}`);
    continue;
  }
  const client = new CriClient(setup);
  try {
    for (const tag of tags) {
      await step(
        `containerd ${major}: ${imageName(tag)}`,
        () => client.ensureImage(imageName(tag)),
      );
    }
  } finally {
    client.close();
  }
}
if (podmanBinary) {
  for (const tag of tags) await step(`podman: ${imageName(tag)}`, () => loadImage(tag));
}
await builds;
Deno.exit(failed ? 1 : 0);
