import assert from "node:assert/strict";
import { docker } from "./harness.ts";
import { baseImage, imageName, testImageTags } from "./images.ts";

for (const tag of testImageTags()) {
  Deno.test(`image ${imageName(tag)} has the stop signal, labels and entrypoint`, async () => {
    const r = await docker(["image", "inspect", "--format", "{{json .Config}}", imageName(tag)]);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(r.stdout);
    assert.equal(config.StopSignal, "SIGRTMIN+3");
    assert.deepEqual(config.Entrypoint, ["/usr/bin/systemd-bootstrap"]);
    assert.equal(config.Labels["org.opencontainers.image.title"], "containering-systemd");
    assert.equal(config.Labels["org.opencontainers.image.base.name"], baseImage(tag));
  });

  Deno.test(`image ${imageName(tag)} keeps the original project's paths and modes`, async () => {
    const r = await docker([
      "run",
      "--rm",
      "--entrypoint",
      "stat",
      imageName(tag),
      "-c",
      "%n %a",
      "/usr/lib/libjournalagent_interceptor.so",
      "/usr/bin/journalagent",
      "/usr/bin/systemd-bootstrap",
      "/etc/systemd/system/journalagent.service",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "/usr/lib/libjournalagent_interceptor.so 644",
      "/usr/bin/journalagent 755",
      "/usr/bin/systemd-bootstrap 755",
      "/etc/systemd/system/journalagent.service 644",
    ]);
  });
}
