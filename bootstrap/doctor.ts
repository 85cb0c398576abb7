/**
 * `containering-systemd doctor`: the bootstrap's checks and more, as a table. Works
 * inside a running container (`docker exec NAME containering-systemd doctor`) and in
 * place of the entrypoint (`docker run --entrypoint containering-systemd IMAGE doctor`).
 *
 * @module
 */
import {
  CAP_SYS_ADMIN,
  CAP_SYS_PTRACE,
  hasCapability,
  REQUIRED_CAPABILITIES,
} from "./capabilities.ts";
import { cgroupLayout, hasPrivateCgroupNamespace } from "./cgroup.ts";
import { parseBootstrapConfig } from "./config.ts";
import { containerEnvironment, parseEnviron } from "./environment.ts";
import { failedUnits } from "./failed_units.ts";
import { checkHealth } from "./health.ts";
import { describeJournalBudget, recordedMemoryLimit } from "./journal_budget.ts";
import { memoryLimitAdvice, readMemoryLimit } from "./memory_limit.ts";
import { INTERCEPTOR_PATH, PID1_VARIABLES } from "./main.ts";
import { mountOf, MUST_BE_WRITABLE, readOnlyPaths } from "./read_only.ts";
import { checkSeccomp, probeSyscalls } from "./seccomp.ts";
import {
  type CgroupPlan,
  checkCapabilities,
  checkRun,
  findSystemd,
  planCgroups,
  PreflightError,
  readHost,
  systemdVersion,
} from "./preflight.ts";
import { libc, OsError, pidfdGetfd } from "../ffi/libc.ts";

/** How a check came out. */
export type DoctorStatus = "ok" | "warn" | "fail" | "info";

/** One row of the doctor's table. */
export interface DoctorRow {
  /** What was checked, e.g. "cgroups". */
  check: string;
  /** How it came out. */
  status: DoctorStatus;
  /** What was found, and for "fail" and "warn" what to do. */
  detail: string;
}

/**
 * Whether pidfd_getfd(2) on PID 1 is allowed here (it needs CAP_SYS_PTRACE, and Docker's
 * default seccomp profile allows it only then).
 *
 * @returns "allowed", or the errno name that refused it.
 */
export function probePidfdGetfd(): string {
  try {
    libc().close(pidfdGetfd(1, 0));
    return "allowed";
  } catch (e) {
    if (!(e instanceof OsError)) throw e;
    return e.message.startsWith("pidfd_open") ? `pidfd_open refused (${e.code})` : e.code;
  }
}

function readPid1Environ(): Record<string, string> | undefined {
  try {
    return parseEnviron(Deno.readFileSync("/proc/1/environ"));
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) return undefined;
    throw e;
  }
}

/**
 * What the bootstrap does (or, with systemd running, did) to /sys/fs/cgroup, for the
 * doctor's cgroups row; "" when it leaves it alone.
 */
function cgroupPlanDetail(layout: string, plan: CgroupPlan, systemdRuns: boolean): string {
  if (!plan.mount) return "";
  if (layout === "v2" && plan.newNamespace) {
    // A `docker exec` stays in the container's first namespace; PID 1 left it.
    const own = systemdRuns && pid1HasOwnCgroupNamespace();
    return "; /sys/fs/cgroup is the host's own writable cgroup2 (--cgroupns=host): " +
      (own
        ? "systemd runs in a cgroup namespace of its own that the bootstrap made"
        : "the bootstrap gives systemd a cgroup namespace of its own and mounts its subtree");
  }
  return "; the bootstrap mounts a private cgroup2";
}

/** Whether PID 1 is in another cgroup namespace than this process. */
function pid1HasOwnCgroupNamespace(): boolean {
  try {
    return Deno.readLinkSync("/proc/1/ns/cgroup") !== Deno.readLinkSync("/proc/self/ns/cgroup");
  } catch (e) {
    if (e instanceof Deno.errors.PermissionDenied) return false;
    throw e;
  }
}

function fromError(check: string, e: unknown): DoctorRow {
  if (e instanceof PreflightError) return { check, status: "fail", detail: e.message };
  return { check, status: "fail", detail: e instanceof Error ? e.message : String(e) };
}

/** Options for {@link runDoctor}. */
export interface DoctorOptions {
  /** Validates the agent's `JOURNALAGENT_*` settings (see `BootstrapOptions`). */
  validateAgentConfig?: (env: Record<string, string>) => void;
  /** Count "degraded" as a healthy system state. @default false */
  acceptDegraded?: boolean;
}

/**
 * Runs every check.
 *
 * @param options See {@link DoctorOptions}.
 * @returns One row per check, in a fixed order.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  const pid1Comm = Deno.readTextFileSync("/proc/1/comm").trim();
  const systemdRuns = pid1Comm === "systemd" && Deno.pid !== 1;
  rows.push(
    systemdRuns
      ? { check: "PID 1", status: "ok", detail: "systemd" }
      : Deno.pid === 1
      ? { check: "PID 1", status: "info", detail: "this process (systemd not started)" }
      : {
        check: "PID 1",
        status: "fail",
        detail: `"${pid1Comm}", not systemd: use systemd-bootstrap as the ENTRYPOINT ` +
          "and drop --init from docker run",
      },
  );

  let version: number | undefined;
  try {
    const path = findSystemd();
    version = await systemdVersion(path);
    rows.push({ check: "systemd", status: "ok", detail: `${path}, version ${version}` });
  } catch (e) {
    rows.push(fromError("systemd", e));
  }

  const env = containerEnvironment();
  try {
    const config = parseBootstrapConfig({}, env);
    options.validateAgentConfig?.(env);
    rows.push({
      check: "configuration",
      status: "ok",
      detail: `main unit ${config.mainUnit ?? "none"}, environment passthrough ` +
        (config.passEnvironment ? "on" : "off"),
    });
  } catch (e) {
    rows.push(fromError("configuration", e));
  }

  const host = readHost();
  try {
    checkRun(host);
    rows.push({ check: "/run", status: "ok", detail: "tmpfs, or systemd may mount one" });
  } catch (e) {
    rows.push(fromError("/run", e));
  }

  const limit = readMemoryLimit({ procCgroup: host.procCgroup });
  const advice = memoryLimitAdvice(recordedMemoryLimit() ?? limit?.bytes);
  rows.push({
    check: "memory",
    status: advice === undefined ? "info" : "warn",
    detail: describeJournalBudget(undefined, () => limit) + (advice ? `; ${advice}` : ""),
  });

  const layout = cgroupLayout(host.mountinfo);
  const ns = hasPrivateCgroupNamespace(host.procCgroup, host.cgroupNamespace)
    ? "private"
    : "host's";
  try {
    const plan = planCgroups(version ?? 0, host);
    rows.push({
      check: "cgroups",
      status: "ok",
      detail: `${layout}, ${ns} cgroup namespace` + cgroupPlanDetail(layout, plan, systemdRuns),
    });
  } catch (e) {
    rows.push(fromError("cgroups", e));
  }

  rows.push({
    check: "CAP_SYS_ADMIN",
    status: "info",
    detail: hasCapability(host.capEff, CAP_SYS_ADMIN) ? "yes" : "no",
  });

  try {
    checkCapabilities(host);
    rows.push({
      check: "capabilities",
      status: "ok",
      detail: REQUIRED_CAPABILITIES.map((c) => c.name).join(", "),
    });
  } catch (e) {
    rows.push(fromError("capabilities", e));
  }

  if (!hasCapability(host.capEff, CAP_SYS_ADMIN)) {
    rows.push({ check: "seccomp", status: "info", detail: "not probed without CAP_SYS_ADMIN" });
  } else {
    try {
      checkSeccomp(host, probeSyscalls());
      rows.push({ check: "seccomp", status: "ok", detail: "mount, umount2, unshare allowed" });
    } catch (e) {
      rows.push(fromError("seccomp", e));
    }
  }

  const rootReadOnly = mountOf("/", host.mountinfo)?.readOnly ?? false;
  const readOnly = readOnlyPaths(host.mountinfo);
  rows.push(
    readOnly.length > 0
      ? {
        check: "read-only",
        status: "warn",
        detail: readOnly.map((p) => `${p.path} is read-only (${p.why}): add ${p.fix}`)
          .join("; "),
      }
      : {
        check: "read-only",
        status: "ok",
        detail: rootReadOnly
          ? `root read-only; ${MUST_BE_WRITABLE.map((p) => p.path).join(", ")} writable`
          : "root writable",
      },
  );

  const pidfd = probePidfdGetfd();
  rows.push({
    check: "pidfd_getfd",
    status: pidfd === "allowed" ? "ok" : "info",
    detail: pidfd === "allowed"
      ? "allowed"
      : `refused (${pidfd}${
        hasCapability(host.capEff, CAP_SYS_PTRACE) ? "" : ", no CAP_SYS_PTRACE"
      }): the agent opens /proc/1/fd/N instead; --cap-add SYS_PTRACE allows it`,
  });

  const pid1Env = systemdRuns ? readPid1Environ() : undefined;
  if (systemdRuns) {
    if (!pid1Env) {
      rows.push({ check: "bootstrap", status: "info", detail: "cannot read /proc/1/environ" });
    } else if (!pid1Env[PID1_VARIABLES.marker]) {
      rows.push({
        check: "bootstrap",
        status: "warn",
        detail: "PID 1 was not started by systemd-bootstrap: use it as the ENTRYPOINT",
      });
    } else {
      const names = pid1Env[PID1_VARIABLES.passNames];
      rows.push({
        check: "bootstrap",
        status: "ok",
        detail: `version ${pid1Env[PID1_VARIABLES.marker]}; services get ` +
          (names === undefined
            ? "no variables (passthrough off)"
            : `${
              names.split(" ").filter(Boolean).length
            } variables of the container's environment`),
      });
    }
    let maps = "";
    try {
      maps = Deno.readTextFileSync("/proc/1/maps");
    } catch (e) {
      if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    }
    rows.push(
      maps.includes(INTERCEPTOR_PATH)
        ? { check: "interceptor", status: "ok", detail: `${INTERCEPTOR_PATH} in PID 1` }
        : {
          check: "interceptor",
          status: maps ? "fail" : "info",
          detail: maps
            ? "not loaded in PID 1: the journal cannot reach the container log"
            : "cannot read /proc/1/maps",
        },
    );
    const health = await checkHealth(options);
    rows.push({
      check: "system state",
      status: health.healthy ? "ok" : health.state === "starting" ? "info" : "warn",
      detail: health.state,
    });
    try {
      const failed = await failedUnits();
      rows.push(
        failed.length === 0 ? { check: "failed units", status: "ok", detail: "none" } : {
          check: "failed units",
          status: "warn",
          detail: `${failed.join(", ")}: see journalctl -u UNIT, or the container log`,
        },
      );
    } catch (e) {
      rows.push({ check: "failed units", status: "info", detail: (e as Error).message });
    }
    const main = pid1Env?.[PID1_VARIABLES.mainUnit];
    if (main) {
      const out = await new Deno.Command("systemctl", {
        args: ["is-active", main],
        stdout: "piped",
        stderr: "null",
      }).output();
      rows.push({
        check: "main unit",
        status: "info",
        detail: `${main}: ${new TextDecoder().decode(out.stdout).trim()}`,
      });
    }
  }

  rows.push({
    check: "stop signal",
    status: "info",
    detail: "not visible from inside; it must be SIGRTMIN+3 (the image's STOPSIGNAL): " +
      "docker inspect -f '{{.Config.StopSignal}}' NAME; Kubernetes: see docs/kubernetes.md",
  });
  return rows;
}

/**
 * Formats rows as an aligned text table with a header.
 *
 * @param rows The doctor's rows.
 * @returns Lines joined with "\n", ending in "\n".
 */
export function formatDoctorTable(rows: DoctorRow[]): string {
  const w = Math.max(5, ...rows.map((r) => r.check.length));
  const lines = [`${"CHECK".padEnd(w)}  STATUS  DETAIL`];
  for (const r of rows) lines.push(`${r.check.padEnd(w)}  ${r.status.padEnd(6)}  ${r.detail}`);
  return lines.join("\n") + "\n";
}
