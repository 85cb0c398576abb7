// scripts/docker_client.sh, run with stand-in `docker` programs on PATH: one per kind of
// client a user may have (no engine is needed; the script asks only the client).
import assert from "node:assert/strict";

const SCRIPT = new URL("./docker_client.sh", import.meta.url).pathname;

/** A stand-in client: `--version` prints `version`; `buildx version` works if `buildx`. */
function standIn(dir: string, version: string, buildx: boolean): string {
  const path = `${dir}/docker`;
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh
case "$1" in
  --version) echo '${version}' ;;
  buildx) ${
      buildx
        ? "echo 'github.com/docker/buildx v0.23.0'"
        : 'echo "docker: unknown command: docker buildx" >&2; exit 1'
    } ;;
  *) exit 1 ;;
esac
`,
  );
  Deno.chmodSync(path, 0o755);
  return path;
}

/** Runs the script with PATH = `pathDirs` + the system's, and `env`; returns its fields. */
function select(pathDirs: string[], env: Record<string, string> = {}) {
  const out = new Deno.Command("sh", {
    args: [SCRIPT],
    clearEnv: true,
    env: { PATH: [...pathDirs, "/usr/sbin:/usr/bin:/sbin:/bin"].join(":"), ...env },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  const field = (n: string) => text.match(new RegExp(`^${n}=(.*)$`, "m"))?.[1];
  return {
    code: out.code,
    docker: field("DOCKER"),
    buildkit: field("DOCKER_BUILDKIT"),
    note: field("NOTE"),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function withDirs(n: number, fn: (dirs: string[]) => void) {
  const dirs = Array.from({ length: n }, () => Deno.makeTempDirSync());
  try {
    fn(dirs);
  } finally {
    for (const d of dirs) Deno.removeSync(d, { recursive: true });
  }
}

Deno.test("docker_client.sh: Debian's docker.io 20.10 (no buildx) builds with BuildKit", () => {
  withDirs(1, ([d]) => {
    const c = standIn(d!, "Docker version 20.10.24+dfsg1, build 297e128", false);
    assert.deepEqual(select([d!]), { code: 0, docker: c, buildkit: "1", note: "", stderr: "" });
  });
});

Deno.test("docker_client.sh: Debian 13's docker.io 26 without buildx falls back to the classic builder", () => {
  withDirs(1, ([d]) => {
    const c = standIn(d!, "Docker version 26.1.5+dfsg1, build a72d7cd", false);
    const r = select([d!]);
    assert.equal(r.docker, c);
    assert.equal(r.buildkit, "0");
    assert.equal(
      r.note,
      `${c} has no buildx plugin: building with the classic builder (DOCKER_BUILDKIT=0)`,
    );
  });
});

Deno.test("docker_client.sh: a Docker CE 28 CLI with buildx builds with BuildKit", () => {
  withDirs(1, ([d]) => {
    const c = standIn(d!, "Docker version 28.2.2, build e6534b4", true);
    assert.deepEqual(select([d!]), { code: 0, docker: c, buildkit: "1", note: "", stderr: "" });
  });
});

Deno.test("docker_client.sh: a buildx-less CLI 28 first on PATH wins over /usr/bin's, with the classic builder", () => {
  // The fresh machine of issue 10: CLI 28 (no buildx) in PATH before docker.io's 20.10.
  withDirs(2, ([first, second]) => {
    const c = standIn(first!, "Docker version 28.2.2, build e6534b4", false);
    standIn(second!, "Docker version 20.10.24+dfsg1, build 297e128", false);
    const r = select([first!, second!]);
    assert.equal(r.docker, c);
    assert.equal(r.buildkit, "0");
    assert.match(r.note ?? "", /classic builder/);
  });
});

Deno.test("docker_client.sh: DOCKER and DOCKER_BUILDKIT set by the user win", () => {
  withDirs(2, ([onPath, own]) => {
    standIn(onPath!, "Docker version 28.2.2, build e6534b4", false);
    const mine = standIn(own!, "Docker version 27.5.1, build 9f9e405", false);
    assert.deepEqual(select([onPath!], { DOCKER: mine, DOCKER_BUILDKIT: "1" }), {
      code: 0,
      docker: mine,
      buildkit: "1",
      note: "",
      stderr: "",
    });
    const r = select([onPath!], { DOCKER: mine });
    assert.equal(r.docker, mine);
    assert.equal(r.buildkit, "0");
  });
});

Deno.test("docker_client.sh: DOCKER_HOST changes nothing in the choice (the client talks to that engine)", () => {
  withDirs(1, ([d]) => {
    const c = standIn(d!, "Docker version 28.2.2, build e6534b4", true);
    const r = select([d!], { DOCKER_HOST: "ssh://user@build-host" });
    assert.equal(r.docker, c);
    assert.equal(r.buildkit, "1");
  });
});

Deno.test("docker_client.sh: a client that does not say its version (podman's shim) keeps BuildKit", () => {
  withDirs(1, ([d]) => {
    const c = standIn(d!, "podman version 4.3.1", false);
    assert.deepEqual(select([d!]), { code: 0, docker: c, buildkit: "1", note: "", stderr: "" });
  });
});
