/**
 * docs/hardening.md's Pod is a valid Kubernetes object (checked against the API's
 * OpenAPI schema, the npm package kubernetes-models) and the same recipe as the doc's
 * `docker run` line, which tests/hardening_test.ts runs: the same capabilities, a
 * read-only root, memory-backed volumes where the line has tmpfs mounts.
 */
import assert from "node:assert/strict";
import { Pod } from "kubernetes-models/v1";
import { hardenedPod } from "../tests/_hardened_pod.ts";

/** What the Pod model takes. */
type PodInput = ConstructorParameters<typeof Pod>[0];

const md = await Deno.readTextFile(new URL("./hardening.md", import.meta.url));
const pod = hardenedPod(md);
const line = (/^```sh\n([\s\S]*?)^```$/m.exec(md)?.[1] ?? "").replace(/\\\n/g, " ");
/** The values of `flag` in the doc's `docker run` line. */
function values(flag: string): string[] {
  return [...line.matchAll(new RegExp(`${flag} (\\S+)`, "g"))].map((m) => m[1]!);
}

Deno.test("docs/hardening.md: the Pod is a valid v1 Pod", () => {
  new Pod(pod as unknown as PodInput).validate();
});

Deno.test("docs/hardening.md: the Pod and the docker run line are the same recipe", () => {
  const c = pod.spec.containers[0]!;
  assert.deepEqual(c.securityContext.capabilities.drop, values("--cap-drop"));
  assert.deepEqual(c.securityContext.capabilities.add, values("--cap-add"));
  assert.equal(c.securityContext.readOnlyRootFilesystem, line.includes("--read-only"));
  const memory = new Set(
    pod.spec.volumes.filter((v) => v.emptyDir?.medium === "Memory").map((v) => v.name),
  );
  assert.deepEqual(
    c.volumeMounts.filter((m) => memory.has(m.name)).map((m) => m.mountPath),
    values("--tmpfs"),
  );
});
