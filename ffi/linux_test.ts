import assert from "node:assert/strict";
import { constants } from "node:os";
import { ERRNO, errnoName, PollFd, POLLOUT } from "./linux.ts";

Deno.test("ERRNO has every name and value of node:os constants.errno", () => {
  assert.deepEqual({ ...ERRNO }, { ...constants.errno });
});

Deno.test("errnoName() names errno values as Linux and systemd do", () => {
  assert.equal(errnoName(11), "EAGAIN");
  assert.equal(errnoName(13), "EACCES");
  assert.equal(errnoName(74), "EBADMSG");
  assert.equal(errnoName(95), "EOPNOTSUPP");
  assert.equal(errnoName(117), "EUCLEAN");
  assert.equal(errnoName(126), "ENOKEY");
  assert.equal(errnoName(4242), "E4242");
});

Deno.test("PollFd lays out struct pollfd: fd, events, revents", () => {
  const p = new PollFd(7, POLLOUT);
  assert.deepEqual([...p.bytes], [7, 0, 0, 0, POLLOUT, 0, 0, 0]);
  assert.equal(p.revents, 0);
});
