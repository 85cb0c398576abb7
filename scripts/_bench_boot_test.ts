import assert from "node:assert/strict";
import { median, spliceBootSection } from "./_bench_boot.ts";

Deno.test("median() of odd and even counts, unsorted input left as it is", () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

Deno.test("spliceBootSection() replaces the Boot section and keeps the ones around it", () => {
  const doc = "# T\n\n## A\n\na\n\n## Boot\n\nold\n\n## Container memory\n\nm\n";
  assert.equal(
    spliceBootSection(doc, "new\n"),
    "# T\n\n## A\n\na\n\n## Boot\n\nnew\n\n## Container memory\n\nm\n",
  );
  assert.equal(spliceBootSection("# T\n", "new\n"), "# T\n\n## Boot\n\nnew\n");
});
