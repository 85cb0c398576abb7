/**
 * docs/kubernetes.md's manifests are valid Kubernetes objects: the Pod example, and the
 * Pod with the preStop hook of "The stop signal" added, checked against the Kubernetes
 * API's OpenAPI schema (the npm package kubernetes-models, generated from it). The
 * schema does not reject unknown fields (kubectl's --validate=strict would).
 */
import assert from "node:assert/strict";
import { Pod } from "kubernetes-models/v1";
import { parse } from "yaml";

/** What the Pod model takes. */
type PodInput = ConstructorParameters<typeof Pod>[0];

const DOC = new URL("./kubernetes.md", import.meta.url);

/** The doc's ```yaml blocks, parsed, in order. */
async function yamlBlocks(): Promise<Record<string, unknown>[]> {
  const md = await Deno.readTextFile(DOC);
  return [...md.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)].map((m) =>
    parse(m[2]!.replace(new RegExp(`^${m[1]}`, "gm"), ""))
  );
}

Deno.test("docs/kubernetes.md: the Pod example is a valid v1 Pod", async () => {
  const [pod] = await yamlBlocks();
  assert.equal(pod?.kind, "Pod");
  new Pod(pod as unknown as PodInput).validate();
});

Deno.test("docs/kubernetes.md: the Pod with the preStop hook is a valid v1 Pod", async () => {
  const [pod, hook] = await yamlBlocks();
  assert.ok(hook && "lifecycle" in hook, "the second yaml block is the preStop lifecycle");
  const withHook = structuredClone(pod) as { spec: { containers: Record<string, unknown>[] } };
  withHook.spec.containers[0]!.lifecycle = hook.lifecycle;
  new Pod(withHook as unknown as PodInput).validate();
});

Deno.test("docs/kubernetes.md: a wrong type fails the schema check", async () => {
  const [pod] = await yamlBlocks();
  const bad = structuredClone(pod) as { spec: { containers: { env: unknown }[] } };
  bad.spec.containers[0]!.env = "APP_MODE=production";
  assert.throws(() => new Pod(bad as unknown as PodInput).validate(), /env/);
});
