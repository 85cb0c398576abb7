/**
 * Bad input through the running agent, in every output format, as `docker logs` shows
 * it: binary fields, NUL bytes, invalid UTF-8, ANSI/OSC/C1 control sequences, CR/LF,
 * 1 MB and 16 MB messages, 1,000 and 3,000 fields, a 4 KiB identifier and a 250-byte
 * unit name (tests/_bad_input.ts).
 *
 * For every format: each entry journald stored is exactly one line, valid UTF-8,
 * without C0 control bytes (TAB excepted) and without DEL or C1 control characters, so
 * a terminal showing the log cannot be driven by a message. What each format keeps:
 * - `json`: every field's bytes (byte arrays for binary / invalid UTF-8 values), all
 *   1,000 fields, the 16 MB message whole.
 * - `collector`: the message text (invalid bytes become U+FFFD), whole.
 * - `short-iso`, `short-precise`, `cat`, `logfmt`: the message escaped, `\n` `\r`
 *   `\xNN`, nothing truncated: decoding the escapes gives the message's bytes back.
 *
 * The agent's format switches between the checks with `systemctl set-environment
 * JOURNALAGENT_OUTPUT=...` and a restart (PassEnvironment= reads PID 1's environment).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Container, delay, docker, testEachImage } from "./harness.ts";
import { type BadCase, badCorpus, LONG_IDENTIFIER } from "./_bad_input.ts";
import { recordFigure } from "./_figures.ts";
import { installScript } from "./_bundle.ts";

const DENO = "/usr/lib/containering-systemd/deno";
const FORMATS = ["json", "short-iso", "short-precise", "cat", "logfmt", "collector"] as const;
const LONG_UNIT = `u${"x".repeat(240)}.service`;

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * Control characters in a line (without its final LF): C0 except TAB, DEL, and C1
 * (U+0080-U+009F).
 */
function controls(line: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) {
      found.push(`U+${c.toString(16).padStart(4, "0")}`);
    }
  }
  return found;
}

/** Decodes the text formats' escapes (`\n`, `\r`, `\t`, `\"`, `\\`, `\xNN`). */
function unescapeText(s: string, quoted: boolean): Uint8Array {
  // The escapes are ASCII: work on the UTF-8 bytes.
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(b.length);
  const hex = (x: number) => x >= 48 && x <= 57 ? x - 48 : x >= 97 && x <= 102 ? x - 87 : -1;
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    const ch = b[i]!;
    if (ch !== 92) {
      out[o++] = ch;
      continue;
    }
    const n = b[i + 1];
    if (n === 110) out[o++] = 10; // \n
    else if (n === 114) out[o++] = 13; // \r
    else if (n === 116 && quoted) out[o++] = 9; // \t
    else if ((n === 34 || n === 92) && quoted) out[o++] = n; // \" \\
    else if (n === 120 && hex(b[i + 2] ?? 0) >= 0 && hex(b[i + 3] ?? 0) >= 0) { // \xNN
      out[o++] = hex(b[i + 2]!) * 16 + hex(b[i + 3]!);
      i += 2;
    } else {
      out[o++] = 92;
      continue;
    }
    i++;
  }
  return out.subarray(0, o);
}

/** The message part of a text line, given the marker it starts with. */
function textMessage(format: string, line: string, marker: string): Uint8Array {
  if (format === "logfmt") {
    const at = line.indexOf(" message=");
    assert.ok(at > 0, `logfmt line without message=: ${line.slice(0, 200)}`);
    const v = line.slice(at + 9);
    const quoted = v.startsWith('"');
    // The message is the last key unless extra fields follow (none configured here).
    return unescapeText(quoted ? v.slice(1, v.lastIndexOf('"')) : v, quoted);
  }
  const at = line.indexOf(marker);
  assert.ok(at >= 0, `${format} line without its marker: ${line.slice(0, 200)}`);
  return unescapeText(line.slice(at), false);
}

/** A journalctl JSON / json format value as bytes (last one if repeated). */
function valueBytes(v: unknown): Uint8Array {
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (Array.isArray(v) && (v.length === 0 || typeof v[0] === "number")) {
    return Uint8Array.from(v as number[]);
  }
  if (Array.isArray(v)) return valueBytes(v.at(-1));
  throw new TypeError(`unexpected JSON value ${JSON.stringify(v)?.slice(0, 100)}`);
}

function hasBackslashBefore(b: Uint8Array): boolean {
  return b.includes(92);
}

/** Checks one format's lines for the corpus; returns problems found. */
function checkFormat(
  format: string,
  tag: string,
  lines: string[],
  stored: Set<string>,
): string[] {
  const problems: string[] = [];
  const corpus = new Map(badCorpus(tag).map((k) => [k.name, k] as const));
  const found = new Map<string, string[]>();
  for (const line of lines) {
    const bad = controls(line);
    if (bad.length > 0) {
      problems.push(`${format}: control characters ${bad.slice(0, 5)} in ${line.slice(0, 120)}`);
    }
    let name: string | undefined;
    if (format === "json") {
      if (!line.includes(`"BAD_TAG":"${tag}"`)) continue;
      name = (JSON.parse(line) as Record<string, unknown>)["BAD_CASE"] as string;
    } else {
      const m = new RegExp(`bad:${tag}:([a-z0-9-]+) `).exec(line);
      if (m === null) continue;
      name = m[1]!;
    }
    found.set(name, [...found.get(name) ?? [], line]);
  }
  for (const name of stored) {
    const got = found.get(name) ?? [];
    if (got.length !== 1) {
      problems.push(`${format}: ${got.length} lines for ${name}, expected 1`);
      continue;
    }
    const k: BadCase = corpus.get(name)!;
    const line = got[0]!;
    const marker = `bad:${tag}:${name} `;
    if (format === "json") {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (!equalBytes(valueBytes(e["MESSAGE"]), k.message)) {
        problems.push(`json: MESSAGE of ${name} differs`);
      }
      for (const f of k.fields) {
        const eq = f.indexOf(0x3d);
        const key = new TextDecoder().decode(f.subarray(0, eq));
        if (!equalBytes(valueBytes(e[key]), f.subarray(eq + 1))) {
          problems.push(`json: ${key} of ${name} differs`);
          break;
        }
      }
      if (name === "long-identifier" && e["SYSLOG_IDENTIFIER"] !== LONG_IDENTIFIER) {
        problems.push("json: the long identifier differs");
      }
    } else if (format === "collector") {
      const e = JSON.parse(line) as Record<string, unknown>;
      const want = new TextDecoder().decode(k.message);
      const valid = isUtf8(k.message);
      if (valid && e["message"] !== want) problems.push(`collector: message of ${name} differs`);
      if (!valid && typeof e["message"] !== "string") {
        problems.push(`collector: message of ${name} missing`);
      }
    } else if (!hasBackslashBefore(k.message)) {
      const got = textMessage(format, line, marker);
      if (!equalBytes(got, k.message)) {
        problems.push(
          `${format}: message of ${name} does not decode back (${got.length} of ${k.message.length} bytes)`,
        );
      }
    }
  }
  return problems;
}

function isUtf8(b: Uint8Array): boolean {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The BAD_CASE values journald stored for `tag`. */
async function storedCases(c: Container, tag: string): Promise<Set<string>> {
  const r = await c.exec([
    "journalctl",
    "--no-pager",
    "-o",
    "cat",
    "--output-fields=BAD_CASE",
    `BAD_TAG=${tag}`,
  ]);
  return new Set(r.stdout.split("\n").filter(Boolean));
}

/**
 * Waits until the container's stdout since `since` has a line with `needle`, and returns
 * that stdout. Polls the log's end (`--tail`: Docker reads a json-file log backwards for
 * it), and reads the whole log since `since` once the needle is there (and every 5 s in
 * case more than the tail's lines came after it): the whole log holds a 16 MB entry per
 * format, which Docker decodes on every read.
 */
async function logsSince(c: Container, since: string, needle: string): Promise<Uint8Array> {
  const deadline = Date.now() + 45_000;
  for (let poll = 1;; poll++) {
    const end = await docker(["logs", "--since", since, "--tail", "50", c.name]);
    if (end.stdout.includes(needle) || poll % 10 === 0 || Date.now() > deadline) {
      const r = await docker(["logs", "--since", since, c.name]);
      if (r.stdout.includes(needle)) return r.stdoutBytes;
    }
    if (Date.now() > deadline) throw new Error(`no "${needle}" in the log within 45 s`);
    await delay(500);
  }
}

testEachImage("every format stays one valid line per entry on bad input", {
  flags: ["minimal"],
  deadlineMs: 600_000,
}, async (c) => {
  await installScript(c, "tests/_bad_input.ts", "/opt/bad.js");
  // journald refuses an entry larger than a journal file (RuntimeMaxFileSize=, 1/8 of the
  // image's 64 MiB cap: 8 MiB): a drop-in of the user's kind raises the cap so that the
  // 16 MB message is stored and the agent's handling of it is what is tested.
  const big = await c.sh(
    "mkdir -p /etc/systemd/journald.conf.d && " +
      "printf '[Journal]\\nRuntimeMaxUse=512M\\nRuntimeMaxFileSize=64M\\n' " +
      ">/etc/systemd/journald.conf.d/90-test-big-entries.conf && systemctl restart systemd-journald",
  );
  assert.equal(big.code, 0, big.stderr);
  const problems: string[] = [];
  for (const format of FORMATS) {
    const t0 = performance.now();
    const tag = `${format.replace("-", "")}${Date.now() % 100000}`;
    const since = new Date(Date.now() - 1000).toISOString();
    if (format !== "json") {
      await c.exec(["systemctl", "set-environment", `JOURNALAGENT_OUTPUT=${format}`]);
      const r = await c.exec(["systemctl", "restart", "journalagent"]);
      assert.equal(r.code, 0, r.stderr);
    }
    const w = await c.exec([
      DENO,
      "run",
      "-A",
      "--no-config",
      "--cached-only",
      "/opt/bad.js",
      "write",
      tag,
    ]);
    assert.equal(w.code, 0, `writing the corpus failed: ${w.stderr}`);
    const u = await c.exec([
      "systemd-run",
      `--unit=${LONG_UNIT}`,
      "--wait",
      "--quiet",
      "-p",
      `Environment=TAG=${tag}`,
      "sh",
      "-c",
      'echo "bad:$TAG:long-unit from a unit with a 250-byte name"',
    ]);
    assert.equal(u.code, 0, `systemd-run of the long unit name failed: ${u.stderr}`);
    const endNeedle = format === "json" ? `"BAD_CASE":"end","` : `bad:${tag}:end`;
    // The end entry may come before the long-unit one: wait for both.
    const raw = await logsSince(c, since, endNeedle);
    let text = fatal.decode(raw);
    const unitNeedle = `bad:${tag}:long-unit`;
    if (!text.includes(unitNeedle)) text = fatal.decode(await logsSince(c, since, unitNeedle));
    const lines = text.split("\n");
    assert.equal(lines.pop(), "", "the log must end with a newline");
    const stored = await storedCases(c, tag);
    assert.ok(stored.has("sixteen-megabytes") && stored.has("thousand-fields"), [...stored].join());
    problems.push(...checkFormat(format, tag, lines, stored));
    // The long unit name, whole, in every format that shows units.
    const unitLines = lines.filter((l) => l.includes(unitNeedle));
    if (unitLines.length !== 1) problems.push(`${format}: ${unitLines.length} long-unit lines`);
    else if (
      ["json", "collector", "logfmt"].includes(format) && !unitLines[0]!.includes(LONG_UNIT)
    ) {
      problems.push(`${format}: the long unit name is not whole`);
    }
    recordFigure({
      test: "bad-input",
      scenario: format,
      image: c.tag,
      stored: stored.size + 1,
      droppedByJournald: badCorpus(tag).length - stored.size,
      logBytes: raw.length,
      ms: Math.round(performance.now() - t0),
    });
  }
  assert.deepEqual(problems, []);
});
