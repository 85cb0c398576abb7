/**
 * The own-image recipe of docs/recipe.md: a Debian 13 image with its own systemd and the
 * parts copied from containering-systemd:debian-12 boots, forwards its journal, passes
 * `docker run -e` to its service and exits with its main unit's status; like the
 * project's image it keeps its journal in memory (nothing forwarded twice after
 * `docker stop` and `docker start`) and makes a machine ID per container. The image is
 * built once, from docs/recipe/, which docs/recipe.md shows verbatim.
 */
import assert from "node:assert/strict";
import { delay, docker } from "./harness.ts";
import { imageName } from "./images.ts";
import {
  containerName,
  hasAgent,
  MINIMAL,
  runDetached,
  runToExit,
  waitRunning,
} from "./bootstrap_helpers.ts";
import { buildRecipeImage, RECIPE_DIR, RECIPE_IMAGE } from "./_example_images.ts";

const root = new URL("..", import.meta.url).pathname;
const wanted = (Deno.env.get("CSD_TEST_IMAGES") ?? "12").split(",").includes("12");

Deno.test("docs/recipe.md shows docs/recipe/Dockerfile and hello.service verbatim", async () => {
  const doc = await Deno.readTextFile(`${root}docs/recipe.md`);
  for (const file of ["Dockerfile", "hello.service"]) {
    const text = await Deno.readTextFile(`${RECIPE_DIR}/${file}`);
    assert.ok(doc.includes(text.trimEnd()), `docs/recipe.md lacks docs/recipe/${file}`);
  }
});

let built: Promise<void> | undefined;
/** Builds the recipe image from docs/recipe/ once per test run. */
function buildRecipe(): Promise<void> {
  built ??= buildRecipeImage().then((build) => assert.equal(build.code, 0, build.stderr));
  return built;
}

/** The `__CURSOR` values of the JSON lines in `text` (the agent's default output). */
function cursors(text: string): string[] {
  return text.split("\n").flatMap((l) => {
    const m = /"__CURSOR":"([^"]+)"/.exec(l);
    return m ? [m[1]!] : [];
  });
}

Deno.test({
  name: "own-image recipe (Debian 13's systemd, parts from debian-12) boots and forwards logs",
  // The recipe copies journalagent.service; images built before the agent lack it.
  ignore: !wanted || !(await hasAgent("12")),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await buildRecipe();
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

/** Every file of rootfs/ and units/, as the absolute path the image has it at. */
async function projectFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, target: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`, `${target}/${e.name}`);
      else out.push(`${target}/${e.name}`);
    }
  };
  await walk(`${root}rootfs`, "");
  await walk(`${root}units`, "/etc/systemd/system");
  return out.sort();
}

/** `sha256sum` and mode of each path in `image`, and whether the image has a machine ID. */
async function inspectFiles(image: string, paths: string[]): Promise<string> {
  const r = await docker([
    "run",
    "--rm",
    "--entrypoint",
    "sh",
    image,
    "-c",
    'for f in "$@"; do echo "$(stat -c %a "$f") $(sha256sum <"$f" | cut -c1-64) $f"; done; ' +
    "echo machine-id $(wc -c </etc/machine-id) bytes; ls /var/lib/dbus/machine-id 2>&1 || :",
    "sh",
    ...paths,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

Deno.test({
  name: "own-image recipe carries every file of rootfs/ and units/, as the image has them",
  ignore: !wanted,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await buildRecipe();
    const paths = await projectFiles();
    assert.ok(paths.includes("/usr/lib/systemd/journald.conf.d/50-containering-systemd.conf"));
    const [own, recipe] = await Promise.all([
      inspectFiles(imageName("12"), paths),
      inspectFiles(RECIPE_IMAGE, paths),
    ]);
    assert.equal(recipe, own);
    assert.match(own, /^machine-id 0 bytes$/m);
    assert.match(own, /No such file or directory/);
  },
});

Deno.test({
  name: "own-image recipe: no replay after docker stop and docker start, a machine ID each",
  ignore: !wanted || !(await hasAgent("12")),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await buildRecipe();
    const names = [containerName("recipe"), containerName("recipe")];
    try {
      for (const name of names) {
        // No main unit: the containers run until stopped.
        await runDetached(name, RECIPE_IMAGE, ["-e", "CSD_MAIN_UNIT="]);
      }
      await Promise.all(names.map((n) => waitRunning(n)));
      const ids = await Promise.all(
        names.map(async (n) => (await docker(["exec", n, "cat", "/etc/machine-id"])).stdout.trim()),
      );
      assert.match(ids[0]!, /^[0-9a-f]{32}$/);
      assert.notEqual(ids[0], ids[1], "two containers of the recipe image share a machine ID");
      const [name] = names as [string];
      // The first run's last words (journald's "Journal stopped") are in the log.
      const stop = await docker(["stop", name], { timeoutMs: 30_000 });
      assert.equal(stop.code, 0, stop.stderr);
      const start = await docker(["start", name]);
      assert.equal(start.code, 0, start.stderr);
      await waitRunning(name);
      // Polls until the second boot's start-up has been forwarded.
      const deadline = Date.now() + 30_000;
      let log = "";
      while (Date.now() < deadline) {
        log = (await docker(["logs", name])).stdout;
        if ((log.match(/Startup finished in/g) ?? []).length >= 2) break;
        await delay(200);
      }
      const all = cursors(log);
      const duplicates = all.length - new Set(all).size;
      assert.equal(duplicates, 0, `${duplicates} of ${all.length} cursors forwarded twice`);
      assert.equal((log.match(/Startup finished in/g) ?? []).length, 2, log.slice(-3000));
    } finally {
      for (const name of names) await docker(["rm", "-f", "-v", name]);
    }
  },
});
