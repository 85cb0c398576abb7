/**
 * The own-image recipe of docs/recipe.md, in two lines (COPY the tree
 * /opt/containering-systemd/ to /, RUN containering-systemd install): Debian 13 and sid
 * images with their own systemd and the tree from containering-systemd:debian-12 boot,
 * forward their journal, pass `docker run -e` to their service, exit with their main
 * unit's status and carry the project's files as its image has them; like the project's
 * image the Debian 13 one keeps its journal in memory (nothing forwarded twice after
 * `docker stop` and `docker start`) and makes a machine ID per container;
 * `containering-systemd install` stops with one line when systemd or the tree is
 * missing. The images are built once per run, from docs/recipe/, which docs/recipe.md
 * shows verbatim.
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
import {
  buildRecipeImage,
  RECIPE_BASES,
  RECIPE_DIR,
  type RecipeBase,
  recipeImage,
} from "./_example_images.ts";

const root = new URL("..", import.meta.url).pathname;
const wanted = (Deno.env.get("CSD_TEST_IMAGES") ?? "12").split(",").includes("12");

Deno.test("docs/recipe.md shows docs/recipe/Dockerfile and hello.service verbatim", async () => {
  const doc = await Deno.readTextFile(`${root}docs/recipe.md`);
  for (const file of ["Dockerfile", "hello.service"]) {
    const text = await Deno.readTextFile(`${RECIPE_DIR}/${file}`);
    assert.ok(doc.includes(text.trimEnd()), `docs/recipe.md lacks docs/recipe/${file}`);
  }
});

const built = new Map<RecipeBase, Promise<void>>();
/** Builds the recipe image on `base` from docs/recipe/ once per test run. */
function buildRecipe(base: RecipeBase = "13"): Promise<void> {
  let b = built.get(base);
  if (!b) {
    b = buildRecipeImage(base).then((build) => assert.equal(build.code, 0, build.stderr));
    built.set(base, b);
  }
  return b;
}

/** The `__CURSOR` values of the JSON lines in `text` (the agent's default output). */
function cursors(text: string): string[] {
  return text.split("\n").flatMap((l) => {
    const m = /"__CURSOR":"([^"]+)"/.exec(l);
    return m ? [m[1]!] : [];
  });
}

for (const base of RECIPE_BASES) {
  Deno.test({
    name: `own-image recipe on debian-${base} (its own systemd) boots and forwards logs`,
    // The recipe copies journalagent.service; images built before the agent lack it.
    ignore: !wanted || !(await hasAgent("12")),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await buildRecipe(base);
      const r = await runToExit("12", [
        ...MINIMAL,
        "-e",
        "HELLO_NAME=world",
        "-e",
        "HELLO_EXIT=3",
      ], { image: recipeImage(base) });
      assert.equal(r.code, 3, r.stderr);
      const version = Number(/hello: systemd (\d+), HELLO_NAME=world/.exec(r.stdout)?.[1]);
      // Its own systemd: 257 on 13; sid's is newer than any release's (262 when written).
      if (base === "13") assert.equal(version, 257, r.stdout.slice(-3000));
      else assert.ok(version > 257, `sid's systemd is ${version}`);
      assert.match(r.stdout, /hello: exiting with 3/);
    },
  });
}

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
    "echo machine-id $(wc -c </etc/machine-id) bytes; ls /var/lib/dbus/machine-id 2>&1 || :; " +
    // The tree's COPY to / must leave the modes of the directories it lands in alone.
    "stat -c '%a %U %n' / /etc /etc/systemd/system /usr /usr/bin /usr/lib /opt /tmp",
    "sh",
    ...paths,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

for (const base of RECIPE_BASES) {
  Deno.test({
    name: `own-image recipe on debian-${base} carries every file of rootfs/ and units/, ` +
      "as the image has them",
    ignore: !wanted,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await buildRecipe(base);
      const paths = await projectFiles();
      assert.ok(paths.includes("/usr/lib/systemd/journald.conf.d/50-containering-systemd.conf"));
      const [own, recipe] = await Promise.all([
        inspectFiles(imageName("12"), paths),
        inspectFiles(recipeImage(base), paths),
      ]);
      assert.equal(recipe, own);
      assert.match(own, /^machine-id 0 bytes$/m);
      assert.match(own, /No such file or directory/);
      assert.match(own, /^755 root \/$/m);
      assert.match(own, /^1777 root \/tmp$/m);
    },
  });
}

/**
 * Runs `containering-systemd install` in a container of the recipe image after `script`
 * has taken something away.
 */
async function installAfter(script: string): Promise<{ code: number; stderr: string }> {
  const r = await docker([
    "run",
    "--rm",
    "--entrypoint",
    "sh",
    recipeImage("13"),
    "-c",
    `${script}; exec containering-systemd install`,
  ]);
  return { code: r.code, stderr: r.stderr };
}

Deno.test({
  name:
    "containering-systemd install stops with one line when systemd, the tree or a runnable Deno is missing",
  ignore: !wanted,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await buildRecipe("13");
    const [ok, noSystemd, noTree, noDeno] = await Promise.all([
      installAfter(":"),
      installAfter("rm -f /usr/lib/systemd/systemd /lib/systemd/systemd"),
      installAfter("rm /usr/bin/journalagent"),
      // As on a musl image, where the runtime's loader is missing: Deno cannot start.
      installAfter("chmod -x /usr/lib/containering-systemd/deno"),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /^containering-systemd install: systemd 257 at \/usr\/lib\/systemd/m);
    assert.equal(noSystemd.code, 1);
    assert.equal(
      noSystemd.stderr,
      "containering-systemd install: error: systemd not found (tried /usr/lib/systemd/systemd, " +
        "/lib/systemd/systemd): install it before this step (Debian: apt-get install systemd " +
        "systemd-sysv dbus libsystemd0 libpam-systemd)\n",
    );
    assert.equal(noTree.code, 1);
    assert.equal(
      noTree.stderr,
      "containering-systemd install: error: /usr/bin/journalagent missing: copy the whole " +
        "tree first (COPY --from=containering-systemd:debian-12 /opt/containering-systemd/ /)\n",
    );
    assert.equal(noDeno.code, 1);
    assert.match(
      noDeno.stderr,
      /^containering-systemd install: error: the Deno runtime \/usr\/lib\/containering-systemd\/deno does not run in this image \(.*Permission denied\): use a glibc-based image \(Debian, Ubuntu, Fedora; not musl, e\.g\. Alpine\)\n$/,
    );
  },
});

Deno.test({
  name: "own-image recipe: no replay after docker stop and docker start, a machine ID each",
  ignore: !wanted || !(await hasAgent("12")),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await buildRecipe("13");
    const names = [containerName("recipe"), containerName("recipe")];
    try {
      for (const name of names) {
        // No main unit: the containers run until stopped.
        await runDetached(name, recipeImage("13"), ["-e", "CSD_MAIN_UNIT="]);
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
