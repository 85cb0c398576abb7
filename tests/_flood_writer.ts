/**
 * Runs inside a test container (bundled by tests/_flood.ts, run with the image's Deno,
 * usually as a transient unit `systemd-run --unit=flood-...`): writes sequence-numbered
 * journal entries over the native protocol, with the project's journal writer
 * (scripts/journal_writer.ts). Every MESSAGE starts with its sequence number, 0 to
 * COUNT-1, space-padded to 10 characters; SYSLOG_IDENTIFIER is IDENT.
 *
 * Usage:
 *   flood.js burst COUNT IDENT [SIZE]   as fast as journald takes them (sendMany)
 *   flood.js paced COUNT IDENT RATE     RATE entries a second, in 10 ms steps
 *
 * @module
 */
import { sendEntry, sendMany } from "../scripts/journal_writer.ts";

/**
 * Writes `count` entries at about `rate` a second, each MESSAGE the sequence number
 * padded like {@link sendMany}'s, then ` paced`.
 *
 * @param count How many entries.
 * @param identifier SYSLOG_IDENTIFIER.
 * @param rate Entries a second.
 */
export async function sendPaced(count: number, identifier: string, rate: number): Promise<void> {
  const ident = `SYSLOG_IDENTIFIER=${identifier}`;
  const t0 = performance.now();
  for (let i = 0; i < count;) {
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; i < due; i++) {
      sendEntry([`MESSAGE=${String(i).padStart(10, " ")} paced`, ident, "PRIORITY=6"]);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const [mode, countText, identifier, extra] = Deno.args;
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 0 || identifier === undefined) {
    console.error("usage: flood.js burst COUNT IDENT [SIZE] | flood.js paced COUNT IDENT RATE");
    Deno.exit(1);
  }
  if (mode === "burst") sendMany(count, Number(extra ?? 16), identifier);
  else if (mode === "paced") await sendPaced(count, identifier, Number(extra));
  else {
    console.error(`flood.js: unknown mode "${mode}"`);
    Deno.exit(1);
  }
}

if (import.meta.main) await main();
