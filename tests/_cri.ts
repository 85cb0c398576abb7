/**
 * A kubelet-like client of containerd's CRI plugin, for the tests only: it starts the
 * project's containerd (scripts/ensure_containerd.sh), brings the Docker-built images
 * over, and runs the Pod of docs/kubernetes.md with the calls a kubelet makes
 * (RunPodSandbox, CreateContainer, StartContainer, ExecSync for probes, StopContainer
 * with the grace period, RemoveContainer, StopPodSandbox, RemovePodSandbox).
 *
 * Spec followed: the CRI v1 API (k8s.io/cri-api, pkg/apis/runtime/v1/api.proto; the
 * subset used is tests/cri/api.proto) and the CRI log format of the kubelet
 * (`<RFC 3339 nano time> <stdout|stderr> <F|P> <text>`, kubernetes/kubernetes
 * pkg/kubelet/kuberuntime/logs/logs.go).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { dockerBinary } from "./images.ts";
import { uniqueSuffix } from "./harness.ts";

const SCRIPT = new URL("../scripts/ensure_containerd.sh", import.meta.url).pathname;
const PROTO = new URL("./cri/api.proto", import.meta.url).pathname;
/** The containerd namespace of the CRI plugin. */
const NAMESPACE = "k8s.io";
/** The label on every test Pod, and the one naming the test process that made it. */
const TEST_LABEL = "containering-systemd.test";
const PID_LABEL = "containering-systemd.test.pid";

/** A containerd with its CRI plugin, or why the tests skip. */
export interface CriSetup {
  /** The containerd socket, when up. */
  socket?: string;
  /** The ctr of the same containerd, when up. */
  ctr?: string;
  /** Why the tests skip, when containerd cannot be installed. */
  skip?: string;
}

/**
 * Starts (or finds) the project's containerd with its CRI plugin.
 *
 * @param major "1": the host's containerd (1.6 on Debian 12); "2": Debian sid's 2.x.
 * @returns The socket, or the reason to skip when containerd cannot be installed
 *   (the script's exit code 2).
 * @throws {Error} If the script fails for any other reason; its stderr is the message.
 */
export async function ensureContainerd(major: "1" | "2" = "1"): Promise<CriSetup> {
  const out = await new Deno.Command("sh", {
    args: [SCRIPT, major],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (out.code === 2) return { skip: stderr || "containerd cannot be installed here" };
  if (!out.success) throw new Error(`${SCRIPT} failed: ${stderr}`);
  const [socket, ctr] = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { socket, ctr };
}

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type Stub =
  & grpc.Client
  & Record<string, (req: unknown, opts: grpc.CallOptions, cb: Callback) => void>;

/** A CRI v1 client over containerd's gRPC socket (RuntimeService and ImageService). */
export class CriClient {
  /** containerd's gRPC socket. */
  readonly socket: string;
  /** The ctr of the same containerd. */
  readonly ctr: string;
  #runtime: Stub;
  #image: Stub;

  /**
   * Connects lazily (the first call connects).
   *
   * @param setup containerd's socket and ctr, from {@link ensureContainerd}.
   * @throws {TypeError} If `setup` has no socket (containerd is not up).
   */
  constructor(setup: CriSetup) {
    if (!setup.socket || !setup.ctr) throw new TypeError("CriClient needs a running containerd");
    const socket = setup.socket;
    this.socket = socket;
    this.ctr = setup.ctr;
    const def = protoLoader.loadSync(PROTO, {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
    });
    // deno-lint-ignore no-explicit-any
    const v1 = (grpc.loadPackageDefinition(def) as any).runtime.v1;
    const creds = grpc.credentials.createInsecure();
    this.#runtime = new v1.RuntimeService(`unix://${socket}`, creds);
    this.#image = new v1.ImageService(`unix://${socket}`, creds);
  }

  /**
   * Calls one RuntimeService or ImageService method.
   *
   * @param method The method's name as in api.proto, e.g. "RunPodSandbox".
   * @param request The request message (field names as in api.proto).
   * @param timeoutMs The call's deadline.
   * @returns The response message.
   * @throws {Error} If the call fails: `CRI <method>: <gRPC status details>`.
   */
  call<T = Record<string, unknown>>(
    method: string,
    request: Record<string, unknown>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const stub = method === "ImageStatus" ? this.#image : this.#runtime;
    return new Promise((resolve, reject) => {
      stub[method]!.call(stub, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new Error(`CRI ${method}: ${err.details || err.message}`));
        else resolve(res as T);
      });
    });
  }

  /**
   * Makes containerd's CRI namespace hold the Docker image `image` as Docker has it now
   * (same image ID), importing it with `docker save | ctr images import` when not.
   *
   * @param image A Docker image name, e.g. "containering-systemd:debian-12".
   * @throws {Error} If Docker does not know the image or the import fails.
   */
  async ensureImage(image: string): Promise<void> {
    const inspect = await new Deno.Command(dockerBinary(), {
      args: ["image", "inspect", "-f", "{{.Id}}", image],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const id = new TextDecoder().decode(inspect.stdout).trim();
    if (!inspect.success) {
      throw new Error(`Docker has no image "${image}": build it (deno task images)`);
    }
    // Test files run in parallel: one import at a time, each checking first.
    const lock = await Deno.open(`${this.socket}.import-lock`, { create: true, write: true });
    try {
      await lock.lock(true);
      const have = await this.call<{ image: { id: string } | null }>("ImageStatus", {
        image: { image },
      });
      if (have.image?.id === id) return;
      const sh = `${dockerBinary()} save "$1" | "$3" --address "$2" --namespace ${NAMESPACE} ` +
        `images import - >/dev/null`;
      const imp = await new Deno.Command("sh", {
        args: ["-c", sh, "sh", image, this.socket, this.ctr],
        stderr: "piped",
      }).output();
      if (!imp.success) {
        const err = new TextDecoder().decode(imp.stderr).trim();
        throw new Error(`Cannot import "${image}" into containerd: ${err}`);
      }
    } finally {
      lock.close();
    }
  }

  /**
   * Removes the test Pods left by test processes that are gone (killed runs), with
   * their log directories and tmpfs mounts. Pods of running processes stay.
   *
   * @returns How many Pods were removed.
   */
  async removeStalePods(): Promise<number> {
    const { items } = await this.call<
      {
        items: {
          id: string;
          labels: Record<string, string>;
          metadata: { name: string; uid: string };
        }[];
      }
    >("ListPodSandbox", { filter: { label_selector: { [TEST_LABEL]: "1" } } });
    let removed = 0;
    for (const pod of items) {
      const pid = Number(pod.labels[PID_LABEL]);
      if (pid && pidAlive(pid)) continue;
      const dir = `${
        this.socket.replace(/\/[^/]*$/, "")
      }/pods/default_${pod.metadata.name}_${pod.metadata.uid}`;
      await teardown(this, pod.id, [`${dir}/volumes/run`, `${dir}/volumes/run-lock`], dir);
      removed++;
    }
    return removed;
  }

  /** Closes the connections. */
  close(): void {
    this.#runtime.close();
    this.#image.close();
  }
}

/** Options for {@link Pod.run}: the Pod of docs/kubernetes.md, one container. */
export interface PodOptions {
  /** The image, as Docker names it (imported first when needed). */
  image: string;
  /** The container's `env`. */
  env?: Record<string, string>;
  /** `resources.limits.memory`, in bytes. @default 536870912 (512 MiB) */
  memoryLimit?: number;
  /**
   * `securityContext.seccompProfile.type`: "RuntimeDefault" (containerd's default
   * profile, what the kubelet's `seccompDefault: true` gives) or none (the kubelet's
   * default: unconfined). @default undefined
   */
  seccomp?: "RuntimeDefault";
  /**
   * `securityContext.capabilities` (names without "CAP_"; "ALL" drops all).
   * @default { add: ["SYS_ADMIN"] }
   */
  capabilities?: { add: string[]; drop?: string[] };
  /** `securityContext.readOnlyRootFilesystem`. @default false */
  readOnlyRootFilesystem?: boolean;
  /** Where `emptyDir: {medium: Memory}` volumes are mounted. @default ["/run", "/run/lock"] */
  memoryVolumes?: string[];
  /** Kill and remove the Pod this long after start, whatever happens. @default 180,000 */
  deadlineMs?: number;
}

/** One record of a CRI log file. */
export interface CriLogRecord {
  /** The RFC 3339 time with nanoseconds, as written. */
  time: string;
  /** Which stream the text came from. */
  stream: "stdout" | "stderr";
  /** "F": the record ends a line; "P": a partial line, continued by the next record. */
  tag: "F" | "P";
  /** The text, without the newline. */
  text: string;
}

const RECORD = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;

/**
 * Parses a CRI log file (the kubelet's format, one record per line).
 *
 * @param text The file's contents.
 * @returns The records in file order.
 * @throws {SyntaxError} If a line is not `<time> <stream> <F|P> <text>`.
 */
export function parseCriLog(text: string): CriLogRecord[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line, i) => {
    const m = line.match(RECORD);
    if (!m) {
      throw new SyntaxError(
        `CRI log line ${i + 1} is not "<time> <stream> <F|P> <text>": ${
          JSON.stringify(line.slice(0, 80))
        }`,
      );
    }
    return {
      time: m[1]!,
      stream: m[2] as "stdout" | "stderr",
      tag: m[3] as "F" | "P",
      text: m[4]!,
    };
  });
}

/**
 * Joins partial records into lines, per stream, as `kubectl logs` does.
 *
 * @param records Records from {@link parseCriLog}.
 * @returns The lines of each stream, with how many records made each.
 */
export function joinCriLog(
  records: CriLogRecord[],
): { stream: "stdout" | "stderr"; text: string; records: number }[] {
  const out: { stream: "stdout" | "stderr"; text: string; records: number }[] = [];
  const open: Record<string, { text: string; records: number }> = {};
  for (const r of records) {
    const cur = open[r.stream] ?? { text: "", records: 0 };
    cur.text += r.text;
    cur.records++;
    if (r.tag === "F") {
      out.push({ stream: r.stream, ...cur });
      delete open[r.stream];
    } else open[r.stream] = cur;
  }
  return out;
}

/** The result of ExecSync. */
export interface ExecResult {
  /** The command's exit code. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** A running Pod (sandbox plus one container), removed with `await using`. */
export class Pod implements AsyncDisposable {
  /** The Pod's name, e.g. "csd-cri-4711-1". */
  readonly name: string;
  /** The container's ID. */
  readonly containerId: string;
  /** The CRI log file on the host. */
  readonly logPath: string;
  readonly #client: CriClient;
  readonly #sandboxId: string;
  readonly #dir: string;
  readonly #tmpfs: string[];
  #deadline: ReturnType<typeof setTimeout>;
  #removed = false;

  private constructor(
    client: CriClient,
    fields: { name: string; sandboxId: string; containerId: string; dir: string; tmpfs: string[] },
    deadlineMs: number,
  ) {
    this.#client = client;
    this.name = fields.name;
    this.#sandboxId = fields.sandboxId;
    this.containerId = fields.containerId;
    this.#dir = fields.dir;
    this.#tmpfs = fields.tmpfs;
    this.logPath = `${fields.dir}/logs/app/0.log`;
    this.#deadline = setTimeout(() => {
      console.error(`cri: ${this.name} passed its deadline (${deadlineMs} ms); removing it`);
      this.remove().catch(() => {});
    }, deadlineMs);
  }

  /**
   * Runs the Pod: a host-network sandbox, then the container with the docs' env,
   * `capabilities.add: [SYS_ADMIN]`, `emptyDir: {medium: Memory}` at /run and /run/lock
   * (a tmpfs mounted on the host, as the kubelet does, bind-mounted in), the memory
   * limit and the log path; starts it (it does not wait for the boot).
   *
   * @param client The CRI client.
   * @param options The image and the container's settings.
   * @returns The Pod.
   * @throws {Error} If a CRI call fails; what was made so far is removed.
   */
  static async run(client: CriClient, options: PodOptions): Promise<Pod> {
    await client.ensureImage(options.image);
    const name = `csd-cri-${uniqueSuffix()}`;
    const uid = crypto.randomUUID();
    // Beside containerd's socket, e.g. /var/cache/containering-systemd/containerd/pods.
    const dir = `${client.socket.replace(/\/[^/]*$/, "")}/pods/default_${name}_${uid}`;
    const paths = options.memoryVolumes ?? ["/run", "/run/lock"];
    const volumes = paths.map((p) => `${dir}/volumes/${p.slice(1).replaceAll("/", "-")}`);
    await Deno.mkdir(`${dir}/logs/app`, { recursive: true });
    const tmpfs: string[] = [];
    let sandboxId = "";
    try {
      for (const v of volumes) {
        await Deno.mkdir(v, { recursive: true });
        await run("mount", ["-t", "tmpfs", "tmpfs", v]);
        tmpfs.push(v);
      }
      const sandboxConfig = {
        metadata: { name, uid, namespace: "default", attempt: 0 },
        log_directory: `${dir}/logs`,
        labels: { [TEST_LABEL]: "1", [PID_LABEL]: String(Deno.pid) },
        linux: {
          security_context: {
            // hostNetwork: no CNI here. pid CONTAINER as the kubelet sets it for v1 Pods.
            namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" },
          },
        },
      };
      sandboxId = (await client.call<{ pod_sandbox_id: string }>("RunPodSandbox", {
        config: sandboxConfig,
      })).pod_sandbox_id;
      const { container_id } = await client.call<{ container_id: string }>("CreateContainer", {
        pod_sandbox_id: sandboxId,
        sandbox_config: sandboxConfig,
        config: {
          metadata: { name: "app", attempt: 0 },
          image: { image: options.image },
          envs: Object.entries(options.env ?? {}).map(([key, value]) => ({ key, value })),
          mounts: paths.map((p, i) => ({ container_path: p, host_path: volumes[i] })),
          log_path: "app/0.log",
          linux: {
            resources: { memory_limit_in_bytes: options.memoryLimit ?? 512 * 1024 * 1024 },
            security_context: {
              capabilities: {
                add_capabilities: options.capabilities?.add ?? ["SYS_ADMIN"],
                drop_capabilities: options.capabilities?.drop ?? [],
              },
              readonly_rootfs: options.readOnlyRootFilesystem ?? false,
              ...(options.seccomp ? { seccomp: { profile_type: options.seccomp } } : {}),
              namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" },
            },
          },
        },
      });
      await client.call("StartContainer", { container_id });
      return new Pod(
        client,
        { name, sandboxId, containerId: container_id, dir, tmpfs },
        options.deadlineMs ?? 180_000,
      );
    } catch (e) {
      await teardown(client, sandboxId, tmpfs, dir);
      throw e;
    }
  }

  /**
   * Runs a command in the container, as an exec probe does (ExecSync).
   *
   * @param cmd The command and its arguments.
   * @param timeoutS ExecSync's timeout.
   * @returns Its exit code and output.
   */
  async exec(cmd: string[], timeoutS = 30): Promise<ExecResult> {
    const r = await this.#client.call<
      { stdout: Uint8Array; stderr: Uint8Array; exit_code: number }
    >(
      "ExecSync",
      { container_id: this.containerId, cmd, timeout: timeoutS },
      (timeoutS + 10) * 1000,
    );
    const dec = new TextDecoder();
    return { code: r.exit_code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  }

  /**
   * The container's status (ContainerStatus, verbose).
   *
   * @returns Its state, exit code, and the host PID of its init (from containerd's info).
   */
  async status(): Promise<{ state: string; exitCode: number; reason: string; pid: number }> {
    const r = await this.#client.call<{
      status: { state: string; exit_code: number; reason: string };
      info: Record<string, string>;
    }>("ContainerStatus", { container_id: this.containerId, verbose: true });
    const info = r.info.info ? JSON.parse(r.info.info) : {};
    return {
      state: r.status.state,
      exitCode: r.status.exit_code,
      reason: r.status.reason,
      pid: Number(info.pid ?? 0),
    };
  }

  /**
   * Polls `check` until it returns true.
   *
   * @param what What is awaited, for the error.
   * @param check The condition.
   * @param timeoutMs How long to wait.
   * @throws {Error} If the time runs out: `<what>: not within <n> ms`.
   */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Reads the CRI log file, as `kubectl logs` does before parsing it.
   *
   * @returns Its text ("" before the first record).
   */
  async log(): Promise<string> {
    try {
      return await Deno.readTextFile(this.logPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return "";
      throw e;
    }
  }

  /**
   * Stops the container as the kubelet does at a Pod's deletion: StopContainer with the
   * grace period; containerd sends the image's STOPSIGNAL, then SIGKILL at its end.
   *
   * @param timeoutS The grace period (terminationGracePeriodSeconds).
   * @returns The call's wall time and the container's exit code.
   */
  async stop(timeoutS = 30): Promise<{ ms: number; exitCode: number }> {
    const t0 = performance.now();
    await this.#client.call(
      "StopContainer",
      { container_id: this.containerId, timeout: timeoutS },
      (timeoutS + 30) * 1000,
    );
    const ms = performance.now() - t0;
    return { ms, exitCode: (await this.status()).exitCode };
  }

  /** Prints the CRI log file to stderr (on a test's failure). */
  async printLog(): Promise<void> {
    console.error(`--- CRI log of ${this.name} (${this.logPath}) ---\n${await this.log()}---`);
  }

  /** Removes the container and the sandbox, unmounts the tmpfs volumes; safe to call twice. */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    clearTimeout(this.#deadline);
    await this.#client.call("StopContainer", { container_id: this.containerId, timeout: 0 })
      .catch(() => {});
    await this.#client.call("RemoveContainer", { container_id: this.containerId }).catch(() => {});
    await teardown(this.#client, this.#sandboxId, this.#tmpfs, this.#dir);
  }

  /** Removes the Pod. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}

async function teardown(client: CriClient, sandboxId: string, tmpfs: string[], dir: string) {
  if (sandboxId) {
    await client.call("StopPodSandbox", { pod_sandbox_id: sandboxId }).catch(() => {});
    await client.call("RemovePodSandbox", { pod_sandbox_id: sandboxId }).catch(() => {});
  }
  for (const v of tmpfs.reverse()) await run("umount", [v]).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}
