/**
 * The own-image recipe of docs/recipe.md: a Debian 13 image with its own systemd and the
 * parts copied from containering-systemd:debian-12 boots, forwards its journal, passes
 * `docker run -e` to its service and exits with its main unit's status.
 */
import assert from "node:assert/strict";
import { docker } from "./harness.ts";
import { IMAGE_REPO, imageName } from "./images.ts";
import { hasAgent, MINIMAL, runToExit } from "./bootstrap_helpers.ts";

const root = new URL("..", import.meta.url).pathname;
const RECIPE_DIR = `${root}docs/recipe`;
const RECIPE_IMAGE = `${IMAGE_REPO}-recipe:debian-13`;
const wanted = (Deno.env.get("CSD_TEST_IMAGES") ?? "12").split(",").includes("12");

Deno.test("docs/recipe.md shows docs/recipe/Dockerfile and hello.service verbatim", async () => {
  const doc = await Deno.readTextFile(`${root}docs/recipe.md`);
  for (const file of ["Dockerfile", "hello.service"]) {
    const text = await Deno.readTextFile(`${RECIPE_DIR}/${file}`);
    assert.ok(doc.includes(text.trimEnd()), `docs/recipe.md lacks docs/recipe/${file}`);
  }
});

Deno.test({
  name: "own-image recipe (Debian 13's systemd, parts from debian-12) boots and forwards logs",
  // The recipe copies journalagent.service; images built before the agent lack it.
  ignore: !wanted || !(await hasAgent("12")),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const build = await docker([
      "build",
      "-q",
      "--build-arg",
      `CSD_IMAGE=${imageName("12")}`,
      "-t",
      RECIPE_IMAGE,
      RECIPE_DIR,
    ], { timeoutMs: 600_000 });
    assert.equal(build.code, 0, build.stderr);
    const r = await runToExit("12", [
      ...MINIMAL,
      "-e",
      "HELLO_NAME=world",
      "-e",
      "HELLO_EXIT=3",
    ], { image: RECIPE_IMAGE });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /hello: systemd 257, HELLO_NAME=world/);
    assert.match(r.stdout, /hello: exiting with 3/);
  },
});
