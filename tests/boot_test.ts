import assert from "node:assert/strict";
import { docker, testEachImage } from "./harness.ts";
import { imageName } from "./images.ts";

/** The image's V8 code cache of the fast bundle (install/code_cache.ts). */
const CODE_CACHE = "/usr/lib/containering-systemd/cache/v8_code_cache_v2-wal";

testEachImage(
  "systemd boots to running and stops with SIGRTMIN+3",
  {},
  async (c) => {
    const pid1 = await c.exec(["cat", "/proc/1/comm"]);
    assert.equal(pid1.stdout.trim(), "systemd");
    // The bootstrap and the agent started from the image's code cache: V8 rejects a
    // cache made with other flags than the wrapper's (and Deno then writes a new one),
    // which cost each start about 110 ms of CPU compiling the bundle.
    const image = await docker([
      "run",
      "--rm",
      "--entrypoint",
      "md5sum",
      imageName(c.tag),
      CODE_CACHE,
    ]);
    const booted = await c.exec(["md5sum", CODE_CACHE]);
    assert.equal(image.code, 0, image.stderr);
    assert.equal(booted.stdout, image.stdout, "the code cache changed during the boot");
    const stop = await c.stop();
    assert.equal(stop.exitCode, 0, "exit code after docker stop");
    assert.ok(
      stop.ms < 2000,
      `docker stop took ${stop.ms.toFixed(0)} ms (limit 2000 ms)`,
    );
  },
);
