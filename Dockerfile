# kfarm images (compose.yaml builds each with its target; without --target
# docker builds the last stage, the agent).
# API (also migrate and admin): docker build --target api -t kfarm-api .
# Build worker (with the x86_64, arm64 and riscv64 toolchains): docker build --target worker -t kfarm-worker .
# Deployment agent (tar, zstd and QEMU for its default health check): docker build --target agent -t kfarm-agent .
# Everything runs as the unprivileged kfarm user. Each directory a compose
# volume is mounted on is made here and given to kfarm: a new named volume
# takes its mount point's owner, so kfarm can write it.
# (scripts/check-compose-images.py checks compose.yaml against this file.)
FROM swift:6.1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends librabbitmq-dev libzstd-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The binary and its resource bundles (the migrations; the dashboard's templates and static files).
RUN swift build -c release --product kfarm \
 && mkdir /out \
 && cp "$(swift build -c release --show-bin-path)/kfarm" /out/ \
 && cp -R "$(swift build -c release --show-bin-path)"/*.resources /out/

FROM swift:6.1-bookworm-slim AS api
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates librabbitmq4 libzstd1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home /srv/kfarm kfarm \
 && mkdir -p /var/lib/kfarm/artifacts /var/lib/kfarm/keys /var/lib/kfarm-bootstrap \
 && chown kfarm:kfarm /var/lib/kfarm/artifacts /var/lib/kfarm/keys /var/lib/kfarm-bootstrap \
 && chmod 700 /var/lib/kfarm/keys /var/lib/kfarm-bootstrap
COPY --from=build /out/ /srv/kfarm/
USER kfarm
WORKDIR /srv/kfarm
EXPOSE 8080
ENTRYPOINT ["/srv/kfarm/kfarm"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]

FROM api AS worker
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends make gcc binutils gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu \
      gcc-11 gcc-11-aarch64-linux-gnu clang-16 lld-16 llvm-16 \
      linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio xz-utils kmod ccache \
      qemu-system-x86 qemu-system-arm qemu-system-misc bubblewrap git dpkg-dev fakeroot rsync \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/cache/kfarm-worker/work /var/cache/kfarm-worker/sources \
 && chown kfarm:kfarm /var/cache/kfarm-worker/work /var/cache/kfarm-worker/sources
# Names the kernel source cache: a newer linux-source unpacks afresh instead of
# reusing an older tree kept in the volume.
RUN dpkg-query -W -f '${Version}\n' linux-source-6.1 > /srv/kfarm/kernel-sources.version
COPY workers /srv/kfarm/workers
COPY fixtures /srv/kfarm/fixtures
# Builds run in a bubblewrap sandbox (user namespaces): compose gives this
# container the seccomp and AppArmor room that needs.
USER kfarm
CMD ["worker"]

FROM api AS agent
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends tar zstd qemu-system-x86 qemu-system-arm qemu-system-misc \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/kfarm-agent && chown kfarm:kfarm /var/lib/kfarm-agent
COPY workers /srv/kfarm/workers
USER kfarm
CMD ["agent"]
