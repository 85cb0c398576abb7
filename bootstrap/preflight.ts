/**
 * The checks systemd-bootstrap makes before it execs systemd. Each failure is a
 * {@link PreflightError} whose message names the problem and the `docker run` flags
 * that fix it, printed as one line: `systemd-bootstrap: <problem>: <fix>`.
 *
 * @module
 */
import { OsError } from "../ffi/libc.ts";
import {
  CAP_SYS_ADMIN,
  capabilitySet,
  hasCapability,
  missingCapabilities,
} from "./capabilities.ts";
import {
  cgroupLayout,
  findMount,
  FIRST_V2_ONLY_SYSTEMD,
  hasPrivateCgroupNamespace,
  mountPrivateCgroup2,
} from "./cgroup.ts";

/** A check that failed; `problem` and `fix` make up the message. */
export class PreflightError extends Error {
  override name = "PreflightError";
  /** What is wrong. */
  readonly problem: string;
  /** What to do, with the `docker run` flags where flags fix it. */
  readonly fix: string;
  /** The exit code the bootstrap ends with. */
  readonly exitCode: number;

  /**
   * @param problem What is wrong, e.g. "not PID 1 (PID 7)".
   * @param fix What to do about it.
   * @param exitCode @default 1
   */
  constructor(problem: string, fix: string, exitCode = 1) {
    super(`${problem}: ${fix}`);
    this.problem = problem;
    this.fix = fix;
    this.exitCode = exitCode;
  }
}

/** The flags that let systemd manage its cgroups without --privileged. */
export const CGROUP_FLAGS = "--cap-add SYS_ADMIN --cgroupns=private";
/** The flags that give systemd its /run. */
export const RUN_FLAGS = "--tmpfs /run --tmpfs /run/lock";
/** Podman's switch for systemd containers: tmpfs mounts, writable cgroups, stop signal. */
export const PODMAN_FLAGS = "--systemd=always";

/** The fix for `flags` under the container's manager (Podman has a switch for all). */
function runWith(host: Host, flags: string, podmanFlags = PODMAN_FLAGS): string {
  return host.manager === "podman" ? `run podman with ${podmanFlags}` : `run with ${flags}`;
}

/**
 * Checks that this process is PID 1 of its PID namespace.
 *
 * @param pid This process's PID.
 * @throws {PreflightError} Otherwise (e.g. `docker run --init`, or run by `docker exec`).
 */
export function checkPid1(pid: number): void {
  if (pid === 1) return;
  throw new PreflightError(
    `not PID 1 (running as PID ${pid}); systemd must be the container's first process`,
    "use systemd-bootstrap as the ENTRYPOINT and drop --init from docker run " +
      "(for checks inside a running container use `containering-systemd doctor`)",
  );
}

/**
 * Checks that this process runs as root: systemd as PID 1 needs uid 0 inside the
 * container (it is not the host's root where the engine maps user namespaces).
 *
 * @param uid This process's real uid.
 * @throws {PreflightError} Otherwise (`docker run --user`, Kubernetes `runAsUser`).
 */
export function checkRoot(uid: number): void {
  if (uid === 0) return;
  throw new PreflightError(
    `running as uid ${uid} (docker run --user, Kubernetes runAsUser/runAsNonRoot); ` +
      "systemd must run as root inside the container",
    "drop --user (run services as other users with User= in their units; for a " +
      "container root that is not the host's root, use a user-namespaced engine: " +
      "docs/hardening.md)",
  );
}

/** systemd's binary, tried in order. */
export const SYSTEMD_PATHS = ["/usr/lib/systemd/systemd", "/lib/systemd/systemd"];

/**
 * Finds systemd's binary.
 *
 * @param paths Candidates, in order. @default {@link SYSTEMD_PATHS}
 * @returns The first path that is an executable regular file.
 * @throws {PreflightError} If none is.
 */
export function findSystemd(paths: readonly string[] = SYSTEMD_PATHS): string {
  for (const p of paths) {
    try {
      const st = Deno.statSync(p);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return p;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new PreflightError(
    `systemd not found (tried ${paths.join(", ")})`,
    "install it in the image (Debian: apt-get install systemd systemd-sysv dbus)",
  );
}

/**
 * systemd's major version from the names of the files beside its binary: the private
 * library every systemd binary links by its versioned name, `libsystemd-shared-252.so`
 * (Fedora: `libsystemd-shared-256.11-1.fc41.so`).
 *
 * @param names File names in the binary's directory.
 * @returns e.g. 252; undefined unless the names show exactly one version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(versionFromSharedLibrary(["systemd", "libsystemd-shared-252.so"]), 252);
 * assert.equal(versionFromSharedLibrary(["libsystemd-shared-256.11-1.fc41.so"]), 256);
 * assert.equal(versionFromSharedLibrary(["systemd"]), undefined);
 * ```
 */
export function versionFromSharedLibrary(names: Iterable<string>): number | undefined {
  const found = new Set<number>();
  for (const name of names) {
    const m = /^libsystemd-shared-(\d+)[.-]/.exec(name);
    if (m) found.add(Number(m[1]));
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/**
 * The major version of the systemd binary at `path`: from the name of its shared library
 * beside it ({@link versionFromSharedLibrary}), else from `systemd --version`. (Starting
 * the process held up each bootstrap by about 6 ms and cost 10 ms of CPU as systemd's
 * libraries load.)
 *
 * @param path The systemd binary.
 * @returns e.g. 252.
 * @throws {PreflightError} If the library does not tell and systemd does not run or
 *   prints no version.
 */
export async function systemdVersion(path: string): Promise<number> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied)) {
      throw e;
    }
  }
  const fromLibrary = versionFromSharedLibrary(names);
  if (fromLibrary !== undefined) return fromLibrary;
  const out = await new Deno.Command(path, {
    args: ["--version"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const m = /^systemd (\d+)/.exec(new TextDecoder().decode(out.stdout));
  if (!m?.[1]) {
    throw new PreflightError(
      `cannot tell the version of "${path}" (systemd --version exited with ${out.code})`,
      "install a working systemd in the image",
    );
  }
  return Number(m[1]);
}

/** What the process may do, as read from /proc. */
export interface Host {
  /** The text of /proc/self/mountinfo. */
  mountinfo: string;
  /** The text of /proc/self/cgroup. */
  procCgroup: string;
  /** The target of /proc/self/ns/cgroup, e.g. "cgroup:[4026532610]", if readable. */
  cgroupNamespace?: string;
  /** The effective capability set, as hex (CapEff). */
  capEff: string;
  /**
   * The container manager, from the `container` variable of the environment (Podman
   * sets "podman"; Docker sets none); it picks the flags a fix names.
   */
  manager?: string;
}

/** The target of a symbolic link, or undefined where it does not exist (no cgroup namespaces). */
function readLinkIfExists(path: string): string | undefined {
  try {
    return Deno.readLinkSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Reads {@link Host} from /proc. */
export function readHost(): Host {
  return {
    mountinfo: Deno.readTextFileSync("/proc/self/mountinfo"),
    procCgroup: Deno.readTextFileSync("/proc/self/cgroup"),
    cgroupNamespace: readLinkIfExists("/proc/self/ns/cgroup"),
    capEff: capabilitySet("CapEff"),
    manager: Deno.env.get("container"),
  };
}

/**
 * Checks that systemd will have a /run: either a tmpfs is mounted there, or systemd
 * may mount one itself (CAP_SYS_ADMIN). Without either, systemd's mount of /run fails
 * and PID 1 freezes or exits with 255.
 *
 * @throws {PreflightError} If neither holds.
 */
export function checkRun(host: Host): void {
  const run = findMount("/run", host.mountinfo);
  if (run?.type === "tmpfs" && !run.readOnly) return;
  if (hasCapability(host.capEff, CAP_SYS_ADMIN)) return;
  const what = run ? `/run is a read-only or ${run.type} mount` : "/run is not a mount";
  throw new PreflightError(
    `${what} and systemd cannot mount a tmpfs there without CAP_SYS_ADMIN`,
    runWith(host, RUN_FLAGS),
  );
}

/**
 * Checks that the process has the capabilities the image's units need beyond
 * CAP_SYS_ADMIN ({@link REQUIRED_CAPABILITIES}, e.g. after `--cap-drop ALL`). Without
 * them journald, the agent, dbus or logind fail at start, and the container runs on
 * with an empty log.
 *
 * @param host What the process may do.
 * @throws {PreflightError} Naming the missing ones and the `--cap-add` flags for them.
 */
export function checkCapabilities(host: Host): void {
  const missing = missingCapabilities(host.capEff);
  if (missing.length === 0) return;
  const names = missing.map((c) => `CAP_${c.name} (${c.neededBy})`).join(", ");
  const flags = missing.map((c) => `--cap-add ${c.name}`).join(" ");
  throw new PreflightError(
    `capabilities missing: ${names}`,
    `run with ${flags} (Kubernetes: securityContext.capabilities.add; docs/hardening.md)`,
  );
}

/** What has to be done to /sys/fs/cgroup before systemd starts. */
export interface CgroupPlan {
  /** Mount a private cgroup2 over /sys/fs/cgroup. */
  mount: boolean;
  /** Make a new cgroup namespace first (the container shares the host's). */
  newNamespace: boolean;
}

/**
 * Decides whether systemd can manage its cgroups as things are, or after a private
 * cgroup2 mount.
 *
 * Where /sys/fs/cgroup is not a writable cgroup2 (a v1 or hybrid host, or a read-only
 * mount) and the process has CAP_SYS_ADMIN, a cgroup2 of the container's own subtree
 * is mounted there, in a new cgroup namespace if the container shares the host's. A
 * writable cgroup2 is left alone in a private cgroup namespace only: in the host's
 * (`--privileged --cgroupns=host` on a cgroup v2 host) it is the host's own hierarchy,
 * and systemd gets a namespace rooted at the container's cgroup and a cgroup2 of that
 * subtree, as with `--cgroupns=private` (cgroup_namespaces(7)).
 * systemd >= 258 needs this (it refuses v1); older systemd runs in unified mode with it
 * too, instead of logging "Failed to create compat systemd cgroup" for every unit it
 * starts on a read-only name=systemd hierarchy. Without CAP_SYS_ADMIN, systemd < 258
 * still works where the v1 hierarchies it uses are writable.
 *
 * @param version systemd's major version.
 * @param host What the process may do.
 * @returns What to do.
 * @throws {PreflightError} If systemd would not be able to write its cgroups, or would see
 *   the host's own cgroup2 hierarchy and the process cannot make a namespace of its own.
 */
export function planCgroups(version: number, host: Host): CgroupPlan {
  const layout = cgroupLayout(host.mountinfo);
  const sysAdmin = hasCapability(host.capEff, CAP_SYS_ADMIN);
  const root = findMount("/sys/fs/cgroup", host.mountinfo);
  const privateNamespace = hasPrivateCgroupNamespace(host.procCgroup, host.cgroupNamespace);
  if (!privateNamespace && hasPrivateCgroupNamespace(host.procCgroup)) {
    // The host's first namespace and its root cgroup: a namespace made here would be
    // rooted at the host's root too, so nothing could keep systemd off the host's tree.
    throw new PreflightError(
      "the container runs in the host's root cgroup, in the host's cgroup namespace " +
        "(systemd would manage the host's whole hierarchy)",
      "run it in a cgroup of its own and a private cgroup namespace (docker run " +
        "--cgroupns=private; a container engine makes the cgroup)",
    );
  }
  if (layout === "v2" && !root?.readOnly) {
    if (privateNamespace) return { mount: false, newNamespace: false };
    // The host's own hierarchy, writable (`--privileged --cgroupns=host`, or a bind mount
    // of it): systemd would manage its cgroup from the host's root, with every other
    // cgroup of the host in sight. With CAP_SYS_ADMIN it gets a namespace of its own.
    if (sysAdmin) return { mount: true, newNamespace: true };
    throw new PreflightError(
      "/sys/fs/cgroup is the host's own writable cgroup2 (the container shares the " +
        "host's cgroup namespace) and making a namespace of its own needs CAP_SYS_ADMIN",
      runWith(host, CGROUP_FLAGS, `${PODMAN_FLAGS} ${CGROUP_FLAGS}`),
    );
  }
  if (sysAdmin) {
    return { mount: true, newNamespace: !privateNamespace };
  }
  if (version >= FIRST_V2_ONLY_SYSTEMD && layout !== "v2") {
    throw new PreflightError(
      `systemd ${version} needs cgroup v2, the container's /sys/fs/cgroup is ${layout}, ` +
        "and mounting a private cgroup2 needs CAP_SYS_ADMIN",
      runWith(host, `${CGROUP_FLAGS} (or --privileged)`, `${PODMAN_FLAGS} ${CGROUP_FLAGS}`),
    );
  }
  const named = findMount("/sys/fs/cgroup/systemd", host.mountinfo);
  const unified = findMount("/sys/fs/cgroup/unified", host.mountinfo);
  const writable = layout !== "v2" &&
    ((named && !named.readOnly) || (unified && !unified.readOnly));
  if (writable) return { mount: false, newNamespace: false };
  throw new PreflightError(
    "the cgroup hierarchy /sys/fs/cgroup is read-only and CAP_SYS_ADMIN is missing " +
      "(systemd would exit with 255)",
    runWith(host, `${CGROUP_FLAGS} (or --privileged)`),
  );
}

/**
 * Carries out {@link planCgroups}.
 *
 * @param version systemd's major version.
 * @param host What the process may do.
 * @returns The plan that was carried out.
 * @throws {PreflightError} If systemd could not write its cgroups, or the mount failed.
 */
export function prepareCgroups(version: number, host: Host): CgroupPlan {
  const plan = planCgroups(version, host);
  if (!plan.mount) return plan;
  try {
    mountPrivateCgroup2(plan);
  } catch (e) {
    if (!(e instanceof OsError)) throw e;
    // EACCES with CAP_SYS_ADMIN: a security module refused, e.g. AppArmor's docker-default
    // profile, which denies mount(2).
    const fix = e.code === "EACCES"
      ? `run with ${CGROUP_FLAGS} --security-opt apparmor=unconfined`
      : `run with ${CGROUP_FLAGS}, or on a cgroup v2 host`;
    throw new PreflightError(
      `cannot mount a private cgroup2 for systemd ${version} (${e.message})`,
      fix,
    );
  }
  return plan;
}
