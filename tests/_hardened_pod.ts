/**
 * The Pod of docs/hardening.md, as the tests read it (docs/hardening_test.ts checks it
 * against the Kubernetes schema; tests/cri_test.ts runs it through containerd's CRI).
 *
 * @module
 */
import { parse } from "yaml";

/** The parts of docs/hardening.md's Pod the tests look at. */
export interface HardenedPod {
  spec: {
    containers: {
      securityContext: {
        readOnlyRootFilesystem?: boolean;
        capabilities: { add: string[]; drop: string[] };
      };
      volumeMounts: { name: string; mountPath: string }[];
    }[];
    volumes: { name: string; emptyDir?: { medium?: string } }[];
  };
}

/**
 * The Pod in the first `yaml` block of docs/hardening.md.
 *
 * @param md The text of docs/hardening.md.
 * @returns The Pod, parsed (not validated).
 */
export function hardenedPod(md: string): HardenedPod {
  return parse(/^```yaml\n([\s\S]*?)^```$/m.exec(md)?.[1] ?? "") as HardenedPod;
}
