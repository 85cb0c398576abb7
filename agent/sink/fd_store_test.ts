import assert from "node:assert/strict";
import { listenFds } from "./fd_store.ts";

Deno.test("listenFds() maps the passed fds to their names", () => {
  const fds = listenFds({
    LISTEN_PID: "4711",
    LISTEN_FDS: "3",
    LISTEN_FDNAMES: "stage-stdout-0:stage-stdout-1:",
  }, 4711);
  assert.deepEqual([...fds], [["stage-stdout-0", 3], ["stage-stdout-1", 4], ["unknown", 5]]);
});

Deno.test("listenFds() ignores fds meant for another process", () => {
  assert.equal(listenFds({ LISTEN_PID: "1", LISTEN_FDS: "2" }, 4711).size, 0);
  assert.equal(listenFds({}, 4711).size, 0);
  assert.equal(listenFds({ LISTEN_PID: "4711", LISTEN_FDS: "x" }, 4711).size, 0);
});
