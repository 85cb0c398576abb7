/**
 * Test helper: an {@link EntryFields} built from text fields.
 *
 * @module
 */
import { EntryFields } from "../source/entry.ts";

/** Header values of a test entry. */
export interface TestHeader {
  realtime?: number;
  monotonic?: number;
  bootId?: string;
  cursor?: string;
  seqnum?: number;
  seqnumId?: string;
  extraNames?: string[];
}

/**
 * Builds an entry from fields (`NAME=value`, text or bytes) and header values.
 *
 * @returns The filled entry.
 */
export function testEntry(
  fields: (string | Uint8Array)[],
  header: TestHeader = {},
): EntryFields {
  const enc = new TextEncoder();
  const e = new EntryFields(256);
  if (header.extraNames) e.setExtraNames(header.extraNames);
  e.clear();
  e.realtime = header.realtime ?? 1795976818530487;
  e.monotonic = header.monotonic ?? 735723577;
  e.bootId.set(enc.encode(header.bootId ?? "116e088bfcd144f9a1aaa797fd31603a"));
  if (header.seqnum !== undefined) {
    e.hasSeqnum = true;
    e.seqnum = header.seqnum;
    e.seqnumId.set(enc.encode(header.seqnumId ?? "22a68c0fe84349bc8b747e82722e0947"));
  }
  const cursor = enc.encode(header.cursor ?? "s=1;i=2;b=3;m=4;t=5;x=6");
  e.cursor.set(cursor);
  e.cursorLength = cursor.length;
  for (const f of fields) e.push(f);
  return e;
}
