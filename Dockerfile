# containering-systemd: systemd as PID 1, its journal forwarded to the container's
# stdout/stderr. One Dockerfile for every supported Debian; pick it with BASE_IMAGE:
#   debian:12-slim (systemd 252), debian:13-slim (257), debian:sid-slim (canary, newest).
# Built by `deno task images` (scripts/images.ts), which first runs `deno task build`
# so that dist/ holds the bundled TypeScript.
ARG BASE_IMAGE=debian:12-slim

# The interceptor is compiled by the base distribution's own gcc.
FROM ${BASE_IMAGE} AS interceptor
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev make \
 && rm -rf /var/lib/apt/lists/*
COPY interceptor/ /src/interceptor/
RUN make -C /src/interceptor

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="containering-systemd" \
      org.opencontainers.image.description="systemd as PID 1 with the journal on the container's stdout/stderr" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

# systemd itself, then units that make no sense in a container are masked.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus libsystemd0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY scripts/mask_units.sh /usr/lib/containering-systemd/mask_units.sh
# An empty machine ID: systemd makes a new one at each boot, so that containers of one
# image are told apart in _MACHINE_ID (installing systemd wrote a fixed one).
RUN sh /usr/lib/containering-systemd/mask_units.sh \
 && : > /etc/machine-id && rm -f /var/lib/dbus/machine-id

# The Deno runtime (large, changes only with package.json), then the interceptor and the
# files of the target root, and last the bundled TypeScript, which changes most often.
COPY node_modules/@deno/linux-x64-glibc/deno /usr/lib/containering-systemd/deno
COPY --from=interceptor /src/interceptor/libjournalagent_interceptor.so /usr/lib/libjournalagent_interceptor.so
COPY rootfs/ /
COPY units/ /etc/systemd/system/
RUN chmod 0644 /usr/lib/libjournalagent_interceptor.so /etc/systemd/system/*.service \
 && systemctl enable journalagent.service

COPY dist/containering-systemd.js /usr/lib/containering-systemd/containering-systemd.js

# SIGRTMIN+3 is systemd's "halt" request; SIGTERM would make it re-execute itself.
STOPSIGNAL SIGRTMIN+3
# Healthy when systemd reports "running" (docs/bootstrap.md); boot takes about 1 s.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/bin/containering-systemd", "health"]
ENTRYPOINT ["/usr/bin/systemd-bootstrap"]
