/**
 * `deno task demo` (the README's first command): boots containering-systemd:debian-12
 * with the demo unit, follows the container log for a few seconds to show the journal
 * that journalagent forwards (systemd, journald, dbus, the demo unit), then stops the
 * container, whose last lines show the shutdown, and counts the lines per source.
 *
 * Usage: deno run -A scripts/demo.ts [seconds]   (default 12: the demo unit logs an
 * err-priority line every 10 s)
 * Environment: JOURNALAGENT_OUTPUT (default short-iso here; the image's default is json).
 *
 * @module
 */
import { FLAG_SETS } from "../tests/harness.ts";
import { dockerBinary, IMAGE_REPO, imageName } from "../tests/images.ts";

/** The demo container's name: one per image repository, so demos of two repos coexist. */
const NAME = `${IMAGE_REPO.replaceAll(/[^a-zA-Z0-9_.-]/g, "-")}-demo`;

async function docker(args: string[], quiet = true): Promise<number> {
  const out = await new Deno.Command(dockerBinary(), {
    args,
    stdout: quiet ? "null" : "inherit",
    stderr: quiet ? "null" : "inherit",
  }).output();
  return out.code;
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? 12);
  const image = imageName("12");
  await docker(["rm", "-f", NAME]);
  const run = [
    "run",
    "-d",
    "--name",
    NAME,
    ...FLAG_SETS.minimal,
    "-e",
    `JOURNALAGENT_OUTPUT=${Deno.env.get("JOURNALAGENT_OUTPUT") ?? "short-iso"}`,
    image,
    "systemd.wants=containering-demo.service",
  ];
  console.error(`demo: ${dockerBinary()} ${run.join(" ")}`);
  // Quiet: `docker run -d` would print the bare container ID first.
  if (await docker(run) !== 0) {
    console.error("demo: docker run failed; run it by hand to see why (the line above)");
    Deno.exit(1);
  }
  console.error(`demo: following \`docker logs -f ${NAME}\` for ${seconds} s:\n`);
  const follow = new Deno.Command(dockerBinary(), {
    args: ["logs", "-f", NAME],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const t0 = performance.now();
  await docker(["stop", NAME]);
  await follow.status;
  const exit = await new Deno.Command(dockerBinary(), {
    args: ["inspect", "-f", "{{.State.ExitCode}}", NAME],
    stdout: "piped",
  }).output();
  console.error(
    `\ndemo: docker stop took ${(performance.now() - t0).toFixed(0)} ms, exit code ` +
      new TextDecoder().decode(exit.stdout).trim(),
  );
  const logs = await new Deno.Command(dockerBinary(), {
    args: ["logs", NAME],
    stdout: "piped",
    stderr: "null",
  }).output();
  const counts = new Map<string, number>();
  for (const line of new TextDecoder().decode(logs.stdout).split("\n")) {
    // short-iso: "2026-11-29T18:34:08+00:00 host identifier[pid]: message"
    const id = /^\S+ \S+ ([^\s\[:]+)/.exec(line)?.[1];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  console.error(
    "demo: lines per source: " +
      [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", "),
  );
  await docker(["rm", "-f", NAME]);
}
