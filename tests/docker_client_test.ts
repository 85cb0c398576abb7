// End to end: the project's Dockerfile builds with a Docker CLI of 23 or later that has
// no buildx plugin (a fresh machine of this kind has one first in PATH), through the
// selection of scripts/docker_client.sh, and the image it makes runs.
import assert from "node:assert/strict";
import { docker } from "./harness.ts";
import { IMAGE_REPO } from "./images.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The major version a client prints (`Docker version 28.2.2, ...`), or 0. */
function major(client: string): number {
  try {
    const out = new Deno.Command(client, { args: ["--version"], stdout: "piped", stderr: "null" })
      .outputSync();
    return Number(new TextDecoder().decode(out.stdout).match(/^Docker version (\d+)\./)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function hasBuildx(client: string): boolean {
  return new Deno.Command(client, { args: ["buildx", "version"], stdout: "null", stderr: "null" })
    .outputSync().success;
}

/** A buildx-less client of 23 or later on this machine, if there is one. */
function buildxLessClient(): string | undefined {
  const onPath = (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/docker`);
  return [...onPath, "/usr/local/bin/docker"].find((c) => {
    try {
      Deno.statSync(c);
    } catch {
      return false;
    }
    return major(c) >= 23 && !hasBuildx(c);
  });
}

const client = buildxLessClient();

Deno.test({
  name:
    "the Dockerfile builds with a buildx-less Docker CLI >= 23 (classic builder) and the image runs",
  ignore: client === undefined,
  sanitizeResources: false,
  fn: async () => {
    const script = `${ROOT}scripts/docker_client.sh`;
    const sel = new Deno.Command("sh", {
      args: [script],
      env: { DOCKER: client! },
      stdout: "piped",
    }).outputSync();
    const fields = new TextDecoder().decode(sel.stdout);
    assert.match(fields, /^DOCKER_BUILDKIT=0$/m);
    assert.match(fields, /^NOTE=.*classic builder/m);

    const tag = `${IMAGE_REPO}-buildcheck:debian-12`;
    const build = await new Deno.Command(client!, {
      args: ["build", "-q", "--build-arg", "BASE_IMAGE=debian:12-slim", "-t", tag, "."],
      cwd: ROOT,
      env: { DOCKER_BUILDKIT: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    try {
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const run = await docker([
        "run",
        "--rm",
        "--entrypoint",
        "/usr/bin/containering-systemd",
        tag,
        "version",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
    } finally {
      await docker(["rmi", "-f", tag]);
    }
  },
});
