import assert from "node:assert/strict";
import { containerEnvironment, parseEnviron, passedNames } from "./environment.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseEnviron() splits at NUL and the first '=', first of a repeated name wins", () => {
  assert.deepEqual(parseEnviron(enc("A=1\0B=x=y\0A=2\0=bad\0noeq\0")), { A: "1", B: "x=y" });
});

Deno.test("containerEnvironment() drops the wrapper's Deno variables only with its values", () => {
  const env = containerEnvironment(
    enc(
      "DENO_DIR=/var/cache/containering-systemd/deno\0DENO_NO_PROMPT=1\0DENO_NO_UPDATE_CHECK=1\0APP=1\0",
    ),
  );
  assert.deepEqual(env, { APP: "1" });
  assert.deepEqual(containerEnvironment(enc("DENO_DIR=/mine\0")), { DENO_DIR: "/mine" });
});

Deno.test("containerEnvironment() drops the fast path's DENO_DIR (the image's code cache) too", () => {
  const env = containerEnvironment(
    enc("DENO_DIR=/usr/lib/containering-systemd/cache\0DENO_NO_PROMPT=1\0APP=1\0"),
  );
  assert.deepEqual(env, { APP: "1" });
});

Deno.test("passedNames() leaves out the runtime's, systemd's, ours and invalid names", () => {
  const env = {
    APP_MODE: "x",
    container: "podman",
    container_uuid: "u",
    HOSTNAME: "h",
    HOME: "/root",
    TERM: "xterm",
    PATH: "/bin",
    LD_PRELOAD: "/x.so",
    NOTIFY_SOCKET: "/s",
    SYSTEMD_LOG_LEVEL: "debug",
    CSD_MAIN_UNIT: "a.service",
    JOURNALAGENT_OUTPUT: "json",
    "my.var": "1",
    "1ABC": "1",
    KUBERNETES_SERVICE_HOST: "10.0.0.1",
    _private: "ok",
  };
  assert.deepEqual(passedNames(env), ["APP_MODE", "KUBERNETES_SERVICE_HOST", "_private"]);
});
