/**
 * Each output format's formatter, by name.
 *
 * @module
 */
import type { EntryFields } from "../source/entry.ts";
import type { EntryFormat } from "../source/reader.ts";
import type { OutputBuffer } from "./buffer.ts";
import { formatCollector } from "./collector.ts";
import { formatJson } from "./json.ts";
import { formatLogfmt } from "./logfmt.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./names.ts";
import { formatCat, formatShortIso, formatShortPrecise } from "./short.ts";

const FORMATTERS: Record<OutputFormat, (entry: EntryFields, out: OutputBuffer) => unknown> = {
  "json": formatJson,
  "short-iso": formatShortIso,
  "short-precise": formatShortPrecise,
  "cat": formatCat,
  "logfmt": formatLogfmt,
  "collector": formatCollector,
};

/**
 * The formatter of `format`, as the reader takes it.
 *
 * @param format An output format's name.
 * @returns Its formatter; `json` reads every field, the others only the known ones.
 * @throws {TypeError} If the format is unknown.
 */
export function entryFormat(format: OutputFormat): EntryFormat<OutputBuffer> {
  const write = Object.hasOwn(FORMATTERS, format) ? FORMATTERS[format] : undefined;
  if (write === undefined) {
    throw new TypeError(`Unknown output format "${format}": use ${OUTPUT_FORMATS.join(", ")}`);
  }
  return { write, allFields: format === "json" };
}
