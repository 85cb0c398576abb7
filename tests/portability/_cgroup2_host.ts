/**
 * A pure cgroup v2 host for the portability tests, simulated on a hybrid (or any) host:
 * Debian 12's Docker engine (docker.io 20.10) running in a privileged container of the
 * host's engine that mounts a cgroup2 of its own at /sys/fs/cgroup, so that the inner
 * engine reports "Cgroup Version: 2". Its socket is bind-mounted out to the host, so the
 * usual client talks to it with `DOCKER_HOST` (the harness needs nothing else). The host's
 * /tmp is shared with it, so that bind mounts of files under /tmp (as tests make them)
 * find the same files; other host paths do not exist for the inner engine.
 *
 * Everything is made on first use and reused afterwards (idempotent): the engine's image
 * (debian:12-slim plus docker.io, built once), the engine container (started when not
 * running, or made anew when its flags changed), its data (a named volume: images loaded once stay), and the project's images
 * in it (loaded again only when their ID differs from the host engine's).
 *
 * Usage: deno run -A tests/portability/_cgroup2_host.ts [--load 12,13,sid] [--remove]
 * prints `DOCKER_HOST=unix://...` for the inner engine (to run other tests against it:
 * `DOCKER_HOST=... CSD_TEST_IMAGES=12 deno test -A tests/boot_test.ts`).
 * Environment: DOCKER (client), CSD_IMAGE_REPO (names the images, the engine container
 * and its volume, so parallel work does not collide), CSD_CACHE_DIR (where the socket
 * lives; default /var/cache/containering-systemd).
 *
 * @module
 */
import { dockerBinary, IMAGE_REPO, IMAGE_TAGS, imageName, type ImageTag } from "../images.ts";

/** The inner engine, or why there is none. */
export interface Cgroup2Engine {
  /** `DOCKER_HOST` for the inner engine, e.g. `unix:///var/cache/.../docker.sock`. */
  dockerHost: string;
  /** Seconds it took to make (0 when it was running already). */
  startSeconds: number;
}

/** The engine container's name (one per image repository). */
export const ENGINE_NAME = `${IMAGE_REPO}-cgroup2-engine`;
/** The image the engine container runs: debian:12-slim with Debian's docker.io. */
export const ENGINE_IMAGE = `${IMAGE_REPO}-cgroup2-engine:debian-12`;
/** The named volume holding the inner engine's /var/lib/docker. */
const ENGINE_VOLUME = `${ENGINE_NAME}-data`;
/** The label of the engine container (not the harness's: its cleanup must not remove it). */
const ENGINE_LABEL = "containering-systemd.portability=cgroup2-engine";
/** The label that records the engine container's flags (a digest), to tell a stale one. */
const CONFIG_LABEL = "containering-systemd.engine-config";
/** The runtime the host's engine may have for --privileged (scripts/ensure_docker.sh). */
const PRIVILEGED_RUNTIME = "csd-privileged";
/** Where the runtime wrapper appears inside the engine container. */
const INNER_WRAPPER = "/usr/local/bin/runc-dropcaps";

const CACHE_DIR = Deno.env.get("CSD_CACHE_DIR") || "/var/cache/containering-systemd";
/** The directory, on the host, bind-mounted at /run/csd-engine in the engine container. */
const SOCKET_DIR = `${CACHE_DIR}/cgroup2-engine/${ENGINE_NAME}`;

const ENGINE_DOCKERFILE = `FROM debian:12-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io jq \\
 && rm -rf /var/lib/apt/lists/*
`;

/**
 * The engine container's command: replace the host's cgroup mounts with a cgroup2 of the
 * container's own subtree (it has a private cgroup namespace), then run dockerd on the
 * bind-mounted socket. overlay2 works because /var/lib/docker is a volume (ext4 here),
 * not the container's overlay root.
 */
function engineScript(runtime: boolean): string {
  return [
    "set -eu",
    "umount -R /sys/fs/cgroup",
    "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
    "rm -f /run/csd-engine/docker.sock /var/run/docker.pid",
    "exec dockerd -H unix:///run/csd-engine/docker.sock --storage-driver=overlay2" +
    (runtime ? ` --add-runtime ${PRIVILEGED_RUNTIME}=${INNER_WRAPPER}` : ""),
  ].join("\n");
}

const decoder = new TextDecoder();

/** Runs the Docker client against the host's engine (`DOCKER_HOST` as given). */
async function docker(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(dockerBinary(), {
    args,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The path of the host engine's --privileged runtime wrapper, if it has one. */
async function privilegedRuntimePath(): Promise<string | undefined> {
  const r = await docker(["info", "--format", "{{json .Runtimes}}"]);
  if (r.code !== 0) throw new Error(`docker info failed: ${r.stderr.trim()}`);
  const runtimes = JSON.parse(r.stdout) as Record<string, { path?: string }>;
  return runtimes[PRIVILEGED_RUNTIME]?.path;
}

/** Builds {@link ENGINE_IMAGE} unless it exists. */
async function ensureEngineImage(): Promise<void> {
  if ((await docker(["image", "inspect", ENGINE_IMAGE])).code === 0) return;
  const base = await docker(["image", "inspect", "debian:12-slim"]);
  if (base.code !== 0) {
    throw new Error(
      "Cannot build the cgroup v2 engine: no image debian:12-slim (run sh scripts/base_images.sh)",
    );
  }
  const r = await docker(["build", "-t", ENGINE_IMAGE, "-"], {
    stdin: ENGINE_DOCKERFILE,
    env: { DOCKER_BUILDKIT: "0" },
  });
  if (r.code !== 0) {
    throw new Error(
      `Cannot build ${ENGINE_IMAGE} (apt-get install docker.io needs Debian's archive): ` +
        r.stderr.trim().split("\n").slice(-3).join(" "),
    );
  }
}

/** Whether the inner engine answers on `dockerHost`, and says cgroup v2. */
async function innerCgroupVersion(dockerHost: string): Promise<string | undefined> {
  const r = await docker(["info", "--format", "{{.CgroupVersion}}"], {
    env: { DOCKER_HOST: dockerHost },
  });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Makes sure the inner cgroup v2 engine runs, making whatever is missing.
 *
 * @param timeoutMs How long to wait for the inner dockerd to answer. @default 60,000
 * @returns Its `DOCKER_HOST` and how long the start took.
 * @throws {Error} If the engine image cannot be built, the container does not start, or
 *   the inner engine does not answer, or does not report cgroup version 2; with the end of
 *   its log.
 */
export async function ensureCgroup2Engine(timeoutMs = 60_000): Promise<Cgroup2Engine> {
  const t0 = performance.now();
  const dockerHost = `unix://${SOCKET_DIR}/docker.sock`;
  const wrapper = await privilegedRuntimePath();
  const config = [
    "--privileged",
    ...(wrapper ? ["--runtime", PRIVILEGED_RUNTIME, "-v", `${wrapper}:${INNER_WRAPPER}:ro`] : []),
    "--cgroupns=private",
    "--init",
    "-v",
    `${ENGINE_VOLUME}:/var/lib/docker`,
    "-v",
    `${SOCKET_DIR}:/run/csd-engine`,
    // Tests bind-mount files from temporary directories (`docker run -v /tmp/x/f:/f`):
    // the inner engine resolves such paths in its own container, so /tmp is shared.
    "-v",
    "/tmp:/tmp",
    ENGINE_IMAGE,
    "sh",
    "-c",
    engineScript(wrapper !== undefined),
  ];
  // A running engine is reused only if it was started with these very flags.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(config.join("\0")));
  const id = [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  const running = await docker([
    "inspect",
    "-f",
    `{{.State.Running}} {{index .Config.Labels "${CONFIG_LABEL}"}}`,
    ENGINE_NAME,
  ]);
  if (running.stdout.trim() === `true ${id}` && await innerCgroupVersion(dockerHost) === "2") {
    return { dockerHost, startSeconds: 0 };
  }
  if (running.code === 0) await docker(["rm", "-f", ENGINE_NAME]);
  await ensureEngineImage();
  await Deno.mkdir(SOCKET_DIR, { recursive: true });
  const run = await docker([
    "run",
    "-d",
    "--name",
    ENGINE_NAME,
    "--label",
    ENGINE_LABEL,
    "--label",
    `${CONFIG_LABEL}=${id}`,
    ...config,
  ]);
  if (run.code !== 0) {
    throw new Error(`Cannot start the cgroup v2 engine ${ENGINE_NAME}: ${run.stderr.trim()}`);
  }
  const deadline = Date.now() + timeoutMs;
  let version: string | undefined;
  while ((version = await innerCgroupVersion(dockerHost)) === undefined) {
    const alive = await docker(["inspect", "-f", "{{.State.Running}}", ENGINE_NAME]);
    if (Date.now() > deadline || alive.stdout.trim() !== "true") {
      const log = await docker(["logs", "--tail", "20", ENGINE_NAME]);
      throw new Error(
        `The cgroup v2 engine ${ENGINE_NAME} did not answer within ${timeoutMs} ms; ` +
          `its log ends:\n${log.stdout}${log.stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (version !== "2") {
    throw new Error(`The engine ${ENGINE_NAME} reports cgroup version "${version}", not 2`);
  }
  return { dockerHost, startSeconds: (performance.now() - t0) / 1000 };
}

/**
 * Makes the inner engine hold the host engine's image for `tag` (same image ID), loading
 * it (`docker save | docker load`) when it does not.
 *
 * @param engine The inner engine.
 * @param tag The image.
 * @returns Seconds the load took (0 when the image was there).
 * @throws {Error} If the host engine has no such image, or save or load fails.
 */
export async function loadImage(engine: Cgroup2Engine, tag: ImageTag): Promise<number> {
  const name = imageName(tag);
  const want = await docker(["image", "inspect", "-f", "{{.Id}}", name]);
  if (want.code !== 0) {
    throw new Error(`Docker has no image "${name}": build it (deno task images)`);
  }
  const inner = { DOCKER_HOST: engine.dockerHost };
  const have = await docker(["image", "inspect", "-f", "{{.Id}}", name], { env: inner });
  if (have.code === 0 && have.stdout.trim() === want.stdout.trim()) return 0;
  const t0 = performance.now();
  const save = new Deno.Command(dockerBinary(), { args: ["save", name], stdout: "piped" })
    .spawn();
  const load = new Deno.Command(dockerBinary(), {
    args: ["load", "-q"],
    env: inner,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await save.stdout.pipeTo(load.stdin);
  const [saved, loaded] = await Promise.all([save.status, load.output()]);
  if (!saved.success || !loaded.success) {
    throw new Error(
      `Cannot copy ${name} into the cgroup v2 engine: ${decoder.decode(loaded.stderr).trim()}`,
    );
  }
  // The image the tag named before is now dangling: without this the volume grows with
  // every build that is loaded.
  await docker(["image", "prune", "-f"], { env: inner });
  return (performance.now() - t0) / 1000;
}

/**
 * Runs `fn` with `DOCKER_HOST` pointing at the inner engine (so that the harness's
 * containers run there), and restores it afterwards. Test files run one after another in
 * one process (`deno test` without `--parallel`), so the swap does not leak.
 *
 * @param engine The inner engine.
 * @param fn What to run.
 * @returns What `fn` returns.
 */
export async function withEngine<T>(engine: Cgroup2Engine, fn: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("DOCKER_HOST");
  Deno.env.set("DOCKER_HOST", engine.dockerHost);
  try {
    return await fn();
  } finally {
    if (before === undefined) Deno.env.delete("DOCKER_HOST");
    else Deno.env.set("DOCKER_HOST", before);
  }
}

/** Removes the engine container and its volume (the engine image stays). */
export async function removeCgroup2Engine(): Promise<void> {
  await docker(["rm", "-f", ENGINE_NAME]);
  await docker(["volume", "rm", ENGINE_VOLUME]);
}

async function main(): Promise<void> {
  const args = Deno.args;
  if (args.includes("--help")) {
    console.log(
      "Usage: deno run -A tests/portability/_cgroup2_host.ts [--load 12,13,sid] [--remove]\n" +
        "Starts (or reuses) a Docker engine on a cgroup v2 hierarchy of its own, in a\n" +
        "privileged container, and prints DOCKER_HOST=... for it.\n" +
        "Environment: DOCKER, CSD_IMAGE_REPO, CSD_CACHE_DIR",
    );
    return;
  }
  if (args.includes("--remove")) {
    await removeCgroup2Engine();
    return;
  }
  const engine = await ensureCgroup2Engine();
  console.error(`cgroup2-engine: ${ENGINE_NAME} up (${engine.startSeconds.toFixed(1)} s)`);
  const i = args.indexOf("--load");
  const tags = i >= 0 ? (args[i + 1] ?? "").split(",") : [];
  for (const t of tags) {
    if (!(IMAGE_TAGS as readonly string[]).includes(t)) {
      console.error(`cgroup2-engine: unknown tag "${t}": use ${IMAGE_TAGS.join(", ")}`);
      Deno.exit(1);
    }
    const s = await loadImage(engine, t as ImageTag);
    console.error(`cgroup2-engine: ${imageName(t as ImageTag)} loaded (${s.toFixed(1)} s)`);
  }
  console.log(`DOCKER_HOST=${engine.dockerHost}`);
}

if (import.meta.main) await main();
