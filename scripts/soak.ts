/**
 * `deno task soak`: a long run of the agent in one container at a steady rate of
 * sequence-numbered entries (tests/_flood.ts), with the agent SIGKILLed periodically.
 * Samples the agent's memory (RssAnon, VmRSS) and CPU time, then counts what reached
 * the container's log against what journald stored.
 *
 * Usage: deno run -A scripts/soak.ts [--image 12|13|sid] [--minutes 60] [--rate 300]
 *          [--kill-every 300] [--sample-every 10]
 * Environment: CSD_IMAGE_REPO (image repository), CSD_FIGURES (append the result as a
 * JSON line), DOCKER (client binary).
 *
 * Exits 1 if an entry was lost or the agent's memory grew (see {@link SoakResult}).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Container, delay } from "../tests/harness.ts";
import { IMAGE_TAGS, type ImageTag } from "../tests/images.ts";
import {
  agentPid,
  type FloodSpec,
  installFlood,
  journalSeqs,
  startFloods,
  sumTallies,
  type Tally,
  tally,
  waitFloods,
  waitForwarded,
} from "../tests/_flood.ts";

/** Options for {@link runSoak}. */
export interface SoakOptions {
  /** Which image. @default "12" */
  image?: ImageTag;
  /** How long entries are written, in minutes. @default 60 */
  minutes?: number;
  /** Entries a second, over two units. @default 300 */
  rate?: number;
  /** Seconds between SIGKILLs of the agent; 0: none. @default 300 */
  killEverySeconds?: number;
  /** Seconds between samples. @default 10 */
  sampleEverySeconds?: number;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

/** One sample of the agent. */
export interface SoakSample {
  /** Seconds since the floods started. */
  t: number;
  /** The agent's PID. */
  pid: number;
  /** Anonymous resident memory, KiB. */
  rssAnonKiB: number;
  /** Resident memory, KiB. */
  vmRssKiB: number;
  /** Share of one core used since the previous sample of the same PID (0-1), or -1. */
  cpu: number;
}

/** What a soak run measured. */
export interface SoakResult extends Tally {
  image: ImageTag;
  minutes: number;
  rate: number;
  kills: number;
  samples: SoakSample[];
  /** Largest RssAnon seen, KiB. */
  rssAnonMaxKiB: number;
  /** Median RssAnon of the second half of the run minus that of the first half, KiB. */
  rssAnonGrowthKiB: number;
  /** Mean CPU share of one core over the samples that have one. */
  cpuMean: number;
  /** Whether nothing was lost and memory did not grow by more than 10 MiB. */
  ok: boolean;
}

/** The agent's memory and CPU ticks (utime + stime) from /proc. */
async function probe(
  c: Container,
  pid: number,
): Promise<{ anon: number; rss: number; ticks: number }> {
  const r = await c.sh(`cat /proc/${pid}/status; echo ---; cat /proc/${pid}/stat`);
  const [status = "", stat = ""] = r.stdout.split("---\n");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) stat; after ") " the list starts at field 3.
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { anon: kib("RssAnon"), rss: kib("VmRSS"), ticks };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs a soak in a fresh container of `options.image`.
 *
 * @returns The counts and samples.
 * @throws {Error} If the container or the floods cannot be started.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const image = options.image ?? "12";
  const minutes = options.minutes ?? 60;
  const rate = options.rate ?? 300;
  const killEvery = (options.killEverySeconds ?? 300) * 1000;
  const sampleEvery = (options.sampleEverySeconds ?? 10) * 1000;
  const log = options.log ?? (() => {});
  const seconds = minutes * 60;
  await using c = await Container.start(image, {
    flags: "minimal",
    env: { JOURNALAGENT_OUTPUT: "short-iso" },
    deadlineMs: (seconds + 600) * 1000,
  });
  await installFlood(c);
  const specs: FloodSpec[] = [1, 2].map((i) => ({
    name: `soak-${i}`,
    count: Math.round((rate / 2) * seconds),
    rate: rate / 2,
  }));
  await startFloods(c, specs);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const samples: SoakSample[] = [];
  const ticksBefore = new Map<number, { ticks: number; at: number }>();
  let nextKill = killEvery > 0 ? t0 + killEvery : Infinity;
  let kills = 0;
  while (performance.now() < end) {
    await delay(Math.min(sampleEvery, Math.max(0, end - performance.now())));
    const pid = await agentPid(c);
    if (pid > 1) {
      const p = await probe(c, pid);
      const now = performance.now();
      const prev = ticksBefore.get(pid);
      const cpu = prev ? (p.ticks - prev.ticks) / 100 / ((now - prev.at) / 1000) : -1;
      ticksBefore.set(pid, { ticks: p.ticks, at: now });
      const s = {
        t: Math.round((now - t0) / 1000),
        pid,
        rssAnonKiB: p.anon,
        vmRssKiB: p.rss,
        cpu: Math.round(cpu * 1000) / 1000,
      };
      samples.push(s);
      log(`soak: ${JSON.stringify(s)}`);
    }
    if (performance.now() >= nextKill && pid > 1) {
      await c.sh(`kill -9 ${pid}`);
      kills++;
      nextKill += killEvery;
      log(`soak: killed the agent (${kills})`);
    }
  }
  await waitFloods(c, specs, 600_000);
  const names = specs.map((s) => s.name);
  const stored = await journalSeqs((cmd) => c.exec(cmd), names);
  const seen = await waitForwarded(c, stored, 300_000);
  const t = sumTallies(names.map((n) => tally(stored.get(n)!, seen.get(n)!)));
  const anon = samples.map((s) => s.rssAnonKiB);
  const half = Math.floor(anon.length / 2);
  const growth = median(anon.slice(half)) - median(anon.slice(0, half));
  const cpus = samples.filter((s) => s.cpu >= 0).map((s) => s.cpu);
  return {
    ...t,
    image,
    minutes,
    rate,
    kills,
    samples,
    rssAnonMaxKiB: Math.max(0, ...anon),
    rssAnonGrowthKiB: growth,
    cpuMean: cpus.length
      ? Math.round(cpus.reduce((a, b) => a + b, 0) / cpus.length * 1000) / 1000
      : 0,
    ok: t.lost === 0 && t.unknown === 0 && t.stored === specs.reduce((n, s) => n + s.count, 0) &&
      growth < 10 * 1024,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      image: { type: "string", default: "12" },
      minutes: { type: "string", default: "60" },
      rate: { type: "string", default: "300" },
      "kill-every": { type: "string", default: "300" },
      "sample-every": { type: "string", default: "10" },
    },
  });
  const nums = [values.minutes, values.rate, values["kill-every"], values["sample-every"]].map(
    Number,
  );
  if (
    !(IMAGE_TAGS as readonly string[]).includes(values.image) ||
    nums.some((n) => !Number.isFinite(n) || n < 0)
  ) {
    console.error(
      "usage: soak.ts [--image 12|13|sid] [--minutes 60] [--rate 300] [--kill-every 300] " +
        "[--sample-every 10]\nenvironment: CSD_IMAGE_REPO, CSD_FIGURES, DOCKER",
    );
    Deno.exit(1);
  }
  const [minutes, rate, killEverySeconds, sampleEverySeconds] = nums as [
    number,
    number,
    number,
    number,
  ];
  const r = await runSoak({
    image: values.image as ImageTag,
    minutes,
    rate,
    killEverySeconds,
    sampleEverySeconds,
    log: (l) => console.error(l),
  });
  const { samples, ...summary } = r;
  const line = JSON.stringify({
    test: "soak",
    scenario: `${minutes} min`,
    ...summary,
    samples: samples.length,
    at: new Date().toISOString(),
  });
  console.log(line);
  const file = Deno.env.get("CSD_FIGURES");
  if (file) Deno.writeTextFileSync(file, `${line}\n`, { append: true });
  Deno.exit(r.ok ? 0 : 1);
}

if (import.meta.main) await main();
