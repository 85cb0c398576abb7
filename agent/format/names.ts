/**
 * The output formats' names, for validating a setting and usage texts, without loading
 * the formatters (formats.ts maps a name to its formatter).
 *
 * @module
 */

/** The output formats (see docs/formats.md and each format's module). */
export type OutputFormat =
  | "json"
  | "short-iso"
  | "short-precise"
  | "cat"
  | "logfmt"
  | "collector";

/** Every {@link OutputFormat}, for validation and usage texts. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  "json",
  "short-iso",
  "short-precise",
  "cat",
  "logfmt",
  "collector",
];
