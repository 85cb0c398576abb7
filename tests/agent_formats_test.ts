/**
 * The agent's output formats against journalctl's own output on the same entries, in
 * the real container of each image: binary fields, NUL bytes, 1 MB messages, invalid
 * UTF-8, embedded newlines and CR, ANSI escapes, repeated fields (tests/_formats_probe.ts
 * writes them over the native protocol and reads them back with EntryReader).
 *
 * - `json` must equal `journalctl -o json --all` object for object.
 * - `short-iso`, `short-precise`: equal to journalctl's line where journalctl prints the
 *   entry on one line as it is; otherwise the documented escaping of the message.
 * - `cat`, `logfmt`, `collector`: their documented encodings, computed here from
 *   journalctl's JSON with a separate reference implementation.
 * - Every format: exactly one line per entry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, testEachImage } from "./harness.ts";

const root = new URL("..", import.meta.url).pathname;
const probeDir = await Deno.makeTempDir({ prefix: "csd-formats-" });
const probe = `${probeDir}/probe.js`;
let bundled: Promise<void> | undefined;

/** Bundles the probe once (npm packages included), for the image's Deno. */
function bundleProbe(): Promise<void> {
  bundled ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "deno", "-o", probe, "tests/_formats_probe.ts"],
      cwd: root,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`deno bundle of the probe failed (exit code ${out.code})`);
  })();
  return bundled;
}

const DENO = "/usr/lib/containering-systemd/deno";
const dec = new TextDecoder();

type JsonValue = string | number[] | (string | number[])[];
type JournalJson = Record<string, JsonValue>;

/** The bytes of a journalctl JSON value (string or byte array; first if repeated). */
function bytesOf(v: JsonValue | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (v.length > 0 && typeof v[0] === "number") return Uint8Array.from(v as number[]);
  return bytesOf((v as (string | number[])[]).at(-1));
}

/** One decoded unit of a byte string: a character (cp >= 0) or a stray byte (cp -1). */
type Piece = { cp: number; bytes: Uint8Array };

/**
 * Splits bytes into characters (valid UTF-8 as a fatal TextDecoder sees it) and stray
 * bytes.
 */
function pieces(b: Uint8Array): Piece[] {
  const out: Piece[] = [];
  const fatal = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      out.push({ cp: c, bytes: b.subarray(i, i + 1) });
      i++;
      continue;
    }
    const n = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n > 0 && i + n <= b.length) {
      try {
        const s = fatal.decode(b.subarray(i, i + n));
        if ([...s].length === 1) {
          out.push({ cp: s.codePointAt(0)!, bytes: b.subarray(i, i + n) });
          i += n;
          continue;
        }
      } catch { /* not a character */ }
    }
    out.push({ cp: -1, bytes: b.subarray(i, i + 1) });
    i++;
  }
  return out;
}

/** systemd's idea of a printable character (utf8_is_printable()). */
function printable(cp: number): boolean {
  if (cp < 0x20) return cp === 9 || cp === 10;
  if (cp >= 0x7f && cp <= 0x9f) return false;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return false;
  return (cp & 0xfffe) !== 0xfffe;
}

const hex = (bytes: Uint8Array) =>
  [...bytes].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");

/** The documented text escaping (format_escape.ts writeTextEscaped). */
function textEscape(b: Uint8Array, quoted = false): string {
  return pieces(b).map((p) => {
    if (p.cp === 10) return "\\n";
    if (p.cp === 13) return "\\r";
    if (p.cp === 9) return quoted ? "\\t" : "\t";
    if (quoted && (p.cp === 0x22 || p.cp === 0x5c)) return "\\" + String.fromCodePoint(p.cp);
    if (p.cp >= 0 && printable(p.cp)) return String.fromCodePoint(p.cp);
    return hex(p.bytes);
  }).join("");
}

/** The collector format's string: valid UTF-8 kept, stray bytes as U+FFFD. */
function lossy(b: Uint8Array): string {
  return pieces(b).map((p) => p.cp >= 0 ? String.fromCodePoint(p.cp) : "\ufffd").join("");
}

function displayUsec(e: JournalJson): number {
  const src = Number(e["_SOURCE_REALTIME_TIMESTAMP"]);
  return src > 0 ? src : Number(e["__REALTIME_TIMESTAMP"]);
}

const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

function isoSeconds(usec: number): string {
  return new Date(Math.floor(usec / 1000)).toISOString().slice(0, 19);
}

function micros(usec: number): string {
  return String(usec % 1_000_000).padStart(6, "0");
}

const textCache = new Map<JsonValue, string>();

/** A field's value with the text escaping (memoized: the 1 MB messages recur). */
function text(e: JournalJson, name: string): string | undefined {
  const v = e[name];
  if (v === undefined) return undefined;
  let t = textCache.get(v);
  if (t === undefined) textCache.set(v, t = textEscape(bytesOf(v)!));
  return t;
}

/** Whether journalctl prints this message on one line as it is. */
function plainMessage(e: JournalJson): boolean {
  const m = e["MESSAGE"];
  return typeof m === "string" && m.length < 4096 &&
    text(e, "MESSAGE") === m;
}

/** The part after the timestamp of a short line: ` host ident[pid]: message`. */
function shortRest(e: JournalJson): string {
  const host = text(e, "_HOSTNAME");
  const ident = text(e, "SYSLOG_IDENTIFIER") ?? text(e, "_COMM") ?? "unknown";
  const pid = text(e, "_PID") ?? text(e, "SYSLOG_PID");
  return `${host === undefined ? "" : ` ${host}`} ${ident}${pid === undefined ? "" : `[${pid}]`}: ${
    text(e, "MESSAGE")
  }`;
}

function priorityOf(e: JournalJson): number {
  const p = e["PRIORITY"];
  return typeof p === "string" && /^[0-7]$/.test(p) ? Number(p) : 6;
}

function pidOf(e: JournalJson): number | undefined {
  for (const f of ["_PID", "SYSLOG_PID"]) {
    const v = e[f];
    if (typeof v === "string" && /^[0-9]+$/.test(v)) return Number(v);
  }
  return undefined;
}

function logfmtValue(b: Uint8Array): string {
  const bare = b.length > 0 &&
    pieces(b).every((p) =>
      p.cp > 0x20 && p.cp !== 0x3d && p.cp !== 0x22 && p.cp !== 0x5c && printable(p.cp)
    );
  return bare ? dec.decode(b) : `"${textEscape(b, true)}"`;
}

const PRIORITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

const PROBE = [DENO, "run", "-A", "--no-config", "--cached-only", "/var/lib/csd-probe.js"];

/** Lines of `text` up to the one with `marker` (all of them if `marker` is absent). */
function upTo(text: string, marker: string, what: string): string[] {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", `${what}: output must end with a newline`);
  const end = lines.findIndex((l) => l.includes(marker));
  return end >= 0 ? lines.slice(0, end + 1) : lines;
}

/** Runs the probe's reader in `format` from `cursor`: stdout up to the end marker. */
async function readWith(
  c: Container,
  format: string,
  cursor: string,
  marker: string,
  extra: string[] = [],
): Promise<string[]> {
  const r = await c.exec([...PROBE, "read", format, cursor, ...extra]);
  assert.equal(r.code, 0, `probe read ${format} failed: ${r.stderr}`);
  const lines = upTo(r.stdout, marker, format);
  assert.ok(lines.at(-1)?.includes(marker), `${format}: end marker not found`);
  return lines;
}

/** journalctl -o json --all after `cursor` (more `args` added), up to the end marker. */
async function journalctlJson(
  c: Container,
  cursor: string,
  marker: string,
  args: string[] = [],
): Promise<JournalJson[] | null> {
  const from = args.includes("--cursor") ? [] : ["--after-cursor", cursor];
  const r = await c.exec(["journalctl", "-o", "json", "--all", ...from, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const all = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as JournalJson);
  const end = all.findIndex((e) => e["MESSAGE"] === marker);
  return end >= 0 ? all.slice(0, end + 1) : null;
}

testEachImage(
  "agent formats match journalctl on odd entries",
  // Formats do not depend on the docker run flags: one flag set keeps the suite fast.
  { flags: ["minimal"] },
  async (c) => {
    await bundleProbe();
    const cp = await c.exec(["true"]); // the container is up; copy the probe in
    assert.equal(cp.code, 0);
    const { docker } = await import("./harness.ts");
    // Not to /tmp: systemd 257+ mounts a tmpfs there, over what docker cp wrote.
    const copied = await docker(["cp", probe, `${c.name}:/var/lib/csd-probe.js`]);
    assert.equal(copied.code, 0, copied.stderr);

    const tag = `t${Date.now()}`;
    const marker = `csd-formats-end ${tag}`;
    const unit = `csd-odd-${tag}.service`;
    const cur = await c.exec([...PROBE, "cursor"]);
    assert.equal(cur.code, 0, `probe cursor failed: ${cur.stderr}`);
    const cursor = cur.stdout.trim();
    assert.ok(cursor.startsWith("s="), `no cursor from the probe: ${cur.stdout}`);
    // The writer runs as a unit of its own, so that unit filters can be checked too.
    const w = await c.exec([
      "systemd-run",
      "--wait",
      "--quiet",
      `--unit=${unit}`,
      "--setenv=DENO_DIR=/tmp/deno-dir",
      ...PROBE,
      "write",
      tag,
    ]);
    assert.equal(w.code, 0, `probe write failed: ${w.stderr}`);

    // journalctl's own view of the same entries, up to the end marker.
    let expected: JournalJson[] | null;
    const deadline = Date.now() + 15_000;
    while ((expected = await journalctlJson(c, cursor, marker)) === null) {
      assert.ok(Date.now() < deadline, "the probe's entries did not appear in the journal");
      await new Promise((r) => setTimeout(r, 100));
    }
    const cases = new Set(expected.map((e) => e["ODD_CASE"]).filter(Boolean));
    assert.ok(cases.size >= 22, `only ${cases.size} odd entries found`);
    const withMessage = expected.filter((e) => e["MESSAGE"] !== undefined);

    // json: object for object.
    const json = await readWith(c, "json", cursor, marker);
    assert.equal(json.length, expected.length, "json: one line per entry");
    json.forEach((line, i) => assert.deepEqual(JSON.parse(line), expected[i], `json entry ${i}`));

    // short-iso and short-precise: journalctl's line where it prints one as is.
    const jcIso = await c.exec([
      "journalctl",
      "-o",
      "short-iso",
      "--all",
      "--utc",
      "--after-cursor",
      cursor,
    ]);
    const jcIsoLines = jcIso.stdout.split("\n").filter((l) => /^\d{4}-/.test(l)).map((l) =>
      l.replace(/^(\S{19})\+0000 /, "$1+00:00 ")
    );
    const iso = await readWith(c, "short-iso", cursor, marker);
    assert.equal(iso.length, withMessage.length, "short-iso: one line per entry with MESSAGE");
    iso.forEach((line, i) => {
      const e = withMessage[i]!;
      assert.equal(
        line,
        `${isoSeconds(displayUsec(e))}+00:00${shortRest(e)}`,
        `short-iso ${e["ODD_CASE"]}`,
      );
      if (plainMessage(e)) {
        assert.equal(line, jcIsoLines[i], `short-iso ${e["ODD_CASE"]} differs from journalctl`);
      }
    });
    const precise = await readWith(c, "short-precise", cursor, marker);
    assert.equal(precise.length, withMessage.length, "short-precise: one line per entry");
    const jcPrecise = await c.exec([
      "journalctl",
      "-o",
      "short-precise",
      "--all",
      "--utc",
      "--after-cursor",
      cursor,
    ]);
    const jcPreciseLines = jcPrecise.stdout.split("\n").filter((l) => /^[A-Z][a-z]{2} /.test(l));
    precise.forEach((line, i) => {
      const e = withMessage[i]!;
      const u = displayUsec(e);
      const d = new Date(Math.floor(u / 1000));
      const ts = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, "0")} ${
        isoSeconds(u).slice(11)
      }.${micros(u)}`;
      assert.equal(line, `${ts}${shortRest(e)}`, `short-precise ${e["ODD_CASE"]}`);
      if (plainMessage(e)) {
        assert.equal(
          line,
          jcPreciseLines[i],
          `short-precise ${e["ODD_CASE"]} differs from journalctl`,
        );
      }
    });

    // cat: the message, escaped.
    const cat = await readWith(c, "cat", cursor, marker);
    assert.deepEqual(cat, withMessage.map((e) => text(e, "MESSAGE")), "cat");

    // logfmt and collector, with an extra field.
    const logfmt = await readWith(c, "logfmt", cursor, marker, ["ODD_CASE", "BINARY"]);
    assert.equal(logfmt.length, expected.length, "logfmt: one line per entry");
    logfmt.forEach((line, i) => {
      const e = expected[i]!;
      const u = displayUsec(e);
      const parts = [
        `time=${isoSeconds(u)}.${micros(u)}Z`,
        `priority=${PRIORITY_NAMES[priorityOf(e)]}`,
      ];
      const unit = bytesOf(e["_SYSTEMD_UNIT"]);
      if (unit) parts.push(`unit=${logfmtValue(unit)}`);
      const ident = bytesOf(e["SYSLOG_IDENTIFIER"]) ?? bytesOf(e["_COMM"]);
      if (ident) parts.push(`identifier=${logfmtValue(ident)}`);
      const pid = pidOf(e);
      if (pid !== undefined) parts.push(`pid=${pid}`);
      parts.push(`message=${logfmtValue(bytesOf(e["MESSAGE"]) ?? new Uint8Array())}`);
      for (const f of ["ODD_CASE", "BINARY"]) {
        const b = bytesOf(e[f]);
        if (b) parts.push(`${f}=${logfmtValue(b)}`);
      }
      assert.equal(line, parts.join(" "), `logfmt ${e["ODD_CASE"]}`);
    });
    const collector = await readWith(c, "collector", cursor, marker, ["ODD_CASE", "BINARY"]);
    assert.equal(collector.length, expected.length, "collector: one line per entry");
    collector.forEach((line, i) => {
      const e = expected[i]!;
      const u = displayUsec(e);
      const want: Record<string, unknown> = { time: `${isoSeconds(u)}.${micros(u)}Z` };
      const unit = bytesOf(e["_SYSTEMD_UNIT"]);
      if (unit) want["unit"] = lossy(unit);
      const ident = bytesOf(e["SYSLOG_IDENTIFIER"]) ?? bytesOf(e["_COMM"]);
      if (ident) want["identifier"] = lossy(ident);
      const pid = pidOf(e);
      if (pid !== undefined) want["pid"] = pid;
      want["priority"] = priorityOf(e);
      want["message"] = lossy(bytesOf(e["MESSAGE"]) ?? new Uint8Array());
      for (const f of ["ODD_CASE", "BINARY"]) {
        const b = bytesOf(e[f]);
        if (b) want[f] = lossy(b);
      }
      assert.deepEqual(JSON.parse(line), want, `collector ${e["ODD_CASE"]}`);
    });

    // Unit filter: the same entries as `journalctl -u` (the unit's own and PID 1's).
    const cursors = (lines: string[]) => lines.map((l) => JSON.parse(l)["__CURSOR"]);
    // --cursor, not --after-cursor: with a match, journalctl skips one entry too many
    // after seeking (sd_journal_next_skip(2)); the cursor's entry is not the unit's.
    const byUnit = await journalctlJson(c, cursor, marker, ["-u", unit, "--cursor", cursor]);
    assert.ok(byUnit !== null && byUnit.length >= 22, "journalctl -u found too few entries");
    const filtered = await c.exec([...PROBE, "read", "json", cursor], {
      env: { CSD_PROBE_OPTIONS: JSON.stringify({ units: ["csd-odd-*.service"] }) },
    });
    assert.deepEqual(
      cursors(upTo(filtered.stdout, marker, "units")),
      byUnit.map((e) => e["__CURSOR"]),
      "units filter",
    );
    const excluded = await c.exec([...PROBE, "read", "json", cursor], {
      env: { CSD_PROBE_OPTIONS: JSON.stringify({ excludeUnits: ["csd-odd-*"] }) },
    });
    const left = new Set(byUnit.map((e) => e["__CURSOR"]));
    assert.deepEqual(
      cursors(upTo(excluded.stdout, "\u0000", "exclude")).filter((c) => left.has(c)),
      [],
      "excluded units",
    );

    // fill() returns the cursor of the last entry it consumed, filtered out or not.
    const lastCursor = async (options: object) => {
      const r = await c.exec([...PROBE, "read", "json", cursor], {
        env: {
          CSD_PROBE_CURSOR_FILE: "/tmp/probe-cursor",
          CSD_PROBE_OPTIONS: JSON.stringify(options),
        },
      });
      assert.equal(r.code, 0, r.stderr);
      return {
        lines: upTo(r.stdout, "\u0000", "all"),
        cursor: (await c.exec(["cat", "/tmp/probe-cursor"])).stdout,
      };
    };
    const none = await lastCursor({ units: ["no-such-unit.service"] });
    assert.deepEqual(none.lines, [], "no entry is about no-such-unit.service");
    const every = await lastCursor({});
    const everyCursors = cursors(every.lines);
    assert.equal(every.cursor, everyCursors.at(-1), "cursor of fill(): last entry written");
    const at = everyCursors.indexOf(none.cursor);
    assert.ok(
      at >= everyCursors.indexOf(expected.at(-1)!["__CURSOR"]),
      "cursor of fill(): last entry consumed though filtered out",
    );

    // Priority: at most notice (5) forwarded, warning (4) and more severe to stderr.
    const routed = await c.exec([...PROBE, "read", "json", cursor], {
      env: { CSD_PROBE_OPTIONS: JSON.stringify({ maxPriority: 5, stderrPriority: 4 }) },
    });
    assert.equal(routed.code, 0, routed.stderr);
    const odd = (text: string) =>
      upTo(text, marker, "routed").map((l) => JSON.parse(l) as JournalJson).filter((e) =>
        e["ODD_TAG"] === tag
      ).map((e) => e["ODD_CASE"]);
    assert.deepEqual(odd(routed.stdout), ["newlines"], "stdout: priority 5 only");
    assert.deepEqual(odd(routed.stderr), ["crlf", "ansi"], "stderr: priorities 4 and 3");
  },
);
