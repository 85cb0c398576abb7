/** Fixtures shared by the bootstrap's unit tests. @module */

/** /proc/self/mountinfo lines as Docker 20.10 gives them on a hybrid host. */
export const HYBRID_MOUNTINFO = [
  "215 189 0:55 / / rw,relatime master:27 - overlay overlay rw",
  "220 219 0:62 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755",
  "229 220 0:37 / /sys/fs/cgroup/systemd ro,nosuid,nodev,noexec,relatime - cgroup systemd rw,name=systemd",
  "232 215 0:64 / /run rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
].join("\n");
