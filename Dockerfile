# containering-systemd: systemd as PID 1, its journal forwarded to the container's
# stdout/stderr. One Dockerfile for every supported Debian; pick it with BASE_IMAGE:
#   debian:12-slim (systemd 252), debian:13-slim (257), debian:sid-slim (canary, newest);
#   on request debian:11-slim (247, the oldest tested) and the arm64 bases
#   arm64v8/debian:12-slim, :13-slim, :sid-slim (the base's architecture picks the Deno
#   binary and the interceptor's compiler: see the deno stage).
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

# The Deno runtime for the base's architecture (dpkg's amd64 or arm64): the npm package
# @deno/linux-x64-glibc or @deno/linux-arm64-glibc. npm installs this machine's;
# scripts/images.ts fetches the other one (scripts/deno_binary.sh) for an arm64 image.
FROM ${BASE_IMAGE} AS deno
COPY node_modules/@deno/ /deno/
RUN arch=$(dpkg --print-architecture) \
 && case $arch in amd64) pkg=linux-x64-glibc ;; arm64) pkg=linux-arm64-glibc ;; *) pkg=none ;; esac \
 && if [ ! -x "/deno/$pkg/deno" ]; then \
      echo "Dockerfile: no Deno for $arch (node_modules/@deno/$pkg/deno); run sh scripts/deno_binary.sh $arch" >&2; \
      exit 1; \
    fi \
 && mkdir /out && mv "/deno/$pkg/deno" /out/deno

# The tree: every file the project adds, at its path under / (rootfs/, units/ under
# etc/systemd/system/, the interceptor, the Deno runtime and the bundled TypeScript under
# usr/lib/containering-systemd/), with normalized modes: directories and executables
# 0755, other files and shared libraries (*.so, loaded, not run) 0644, whatever modes the
# build context had. /out holds it twice, as /opt/containering-systemd/ (what the
# own-image recipe copies to /: docs/recipe.md) and at its place under /, as hard links
# of one another: one COPY brings both into the image at the size of one (both builders
# keep hard links within a COPY).
FROM ${BASE_IMAGE} AS tree
COPY --from=deno /out/deno /opt/containering-systemd/usr/lib/containering-systemd/deno
COPY --from=interceptor /src/interceptor/libjournalagent_interceptor.so /opt/containering-systemd/usr/lib/
COPY rootfs/ /opt/containering-systemd/
COPY units/ /opt/containering-systemd/etc/systemd/system/
COPY dist/containering-systemd.js dist/containering-systemd-fast.js /opt/containering-systemd/usr/lib/containering-systemd/
RUN cd /opt/containering-systemd \
 && find . -type d -exec chmod 0755 {} + \
 && find . -type f -perm -u+x ! -name '*.so' -exec chmod 0755 {} + \
 && find . -type f \( ! -perm -u+x -o -name '*.so' \) -exec chmod 0644 {} + \
 && mkdir -p /out/opt \
 && cp -a /opt/containering-systemd /out/opt/ \
 && cp -al /out/opt/containering-systemd/. /out/

FROM ${BASE_IMAGE}
ARG BASE_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="containering-systemd" \
      org.opencontainers.image.description="systemd as PID 1 with the journal on the container's stdout/stderr" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

# systemd itself, and what users of a systemd host expect of it (docs/host.md):
# libpam-systemd (user managers, lingering, login sessions of runuser -l and su -l) and
# dbus-user-session (the user's D-Bus, for systemd-run --user and busctl --user).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus libsystemd0 libpam-systemd dbus-user-session \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# The project's files, then the one build step; the own-image recipe (docs/recipe.md)
# runs the same two, so the two images cannot drift. `install` checks the prerequisites,
# enables the agent, masks units that make no sense in a container, empties the machine ID.
COPY --from=tree /out/ /
RUN containering-systemd install

# SIGRTMIN+3 is systemd's "halt" request; SIGTERM would make it re-execute itself.
STOPSIGNAL SIGRTMIN+3
# Healthy when systemd reports "running" (docs/bootstrap.md, "Health"): the first check
# comes 1 s after the start and waits for the boot to finish; later ones sleep 59 s
# before they ask, so a check runs once a minute (the script says why). The same on Docker
# 20.10 and 26 (measured), without --start-period or --start-interval: the builders of
# Docker 24 and older refuse the latter ("unknown flag: start-interval").
HEALTHCHECK --interval=1s --timeout=75s --retries=3 \
  CMD ["/usr/libexec/containering-systemd/healthcheck"]
ENTRYPOINT ["/usr/bin/systemd-bootstrap"]
