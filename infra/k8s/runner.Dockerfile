# The runner image: backup-runner (self-contained, no .NET in the image), the MariaDB client tools and restic.
# Build from the repository root (docs/deploy.md):
#   docker build -f infra/k8s/runner.Dockerfile -t myregistry.azurecr.io/mysql-backup-runner:1.0.0 .
# Every base image is pinned by version; restic is the release binary, checked against its SHA-256.
# It runs as uid 65532 with a read-only root filesystem: everything it writes (restic's cache and temp files) goes
# under /tmp, the Job's emptyDir volume (JobFactory mounts it there); the MySQL option file lives in memory only.
# The runner starts its children under setpriv --pdeathsig KILL (util-linux, essential in Debian, so in the base
# image) so that they die with it.

FROM mcr.microsoft.com/dotnet/sdk:10.0.100 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Core/ src/Core/
COPY src/Runner/ src/Runner/
RUN dotnet publish src/Runner/Runner.csproj -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
      -p:DebugType=none -o /out

FROM debian:12.12-slim AS restic
# restic 0.14 (Debian 12's) saves a truncated stdin as a complete snapshot; the runner guards against that,
# and later releases add what the REST backend and compression need: take a release binary >= 0.16.
ARG RESTIC_VERSION=0.18.1
ARG RESTIC_SHA256=680838f19d67151adba227e1570cdd8af12c19cf1735783ed1ba928bc41f363d
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl bzip2 \
 && curl -fsSL -o /tmp/restic.bz2 "https://github.com/restic/restic/releases/download/v${RESTIC_VERSION}/restic_${RESTIC_VERSION}_linux_amd64.bz2" \
 && echo "${RESTIC_SHA256}  /tmp/restic.bz2" | sha256sum -c - \
 && bunzip2 /tmp/restic.bz2 \
 && install -m 0755 /tmp/restic /usr/local/bin/restic

FROM debian:12.12-slim
# mariadb-client brings mariadb-dump and mariadb (also as mysqldump and mysql); libssl and zlib are what the
# self-contained .NET runtime loads; ca-certificates for TLS to storage and to the database.
RUN apt-get update \
 && apt-get install -y --no-install-recommends mariadb-client ca-certificates libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=restic /usr/local/bin/restic /usr/local/bin/restic
COPY --from=build /out/ /opt/backup-runner/
ENV HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    RESTIC_CACHE_DIR=/tmp/restic-cache \
    DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/.net \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_GCgen0size=0x100000
USER 65532:65532
ENTRYPOINT ["/opt/backup-runner/backup-runner"]
