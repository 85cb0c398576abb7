/**
 * Figures of the fault, slow-reader, bad-input and soak tests: printed as one line each
 * (`figures: {...}`) and, when `CSD_FIGURES` names a file, appended to it as JSON lines,
 * from which docs/guarantees.md's table is filled in.
 *
 * @module
 */

/** One measured result. */
export interface Figure {
  /** The test's name. */
  test: string;
  /** The scenario within the test. */
  scenario: string;
  /** The image tag (12, 13, sid). */
  image: string;
  /** Anything measured: counts, milliseconds, KiB. */
  [key: string]: string | number | boolean;
}

/**
 * Prints a figure and appends it to `CSD_FIGURES` if set.
 *
 * @param figure What was measured.
 */
export function recordFigure(figure: Figure): void {
  const line = JSON.stringify({ ...figure, at: new Date().toISOString() });
  console.error(`figures: ${line}`);
  const file = Deno.env.get("CSD_FIGURES");
  if (file) Deno.writeTextFileSync(file, `${line}\n`, { append: true });
}
