# syntax=docker/dockerfile:1
#
# Six images from one file; each final target is built on its parent:
#   duplicity  <- cron  <- mariadb | mysql | postgres | docker
# Build one:  docker build --target cron -t duplicity-cron .      (or: podman build --target cron ...)
# Build all:  docker buildx bake                                  (docker-bake.hcl)
# Python comes from Debian; duplicity (no-deps) and the curated backend libraries are pinned in
# requirements/duplicity.txt and requirements/backends.txt and installed into /opt/duplicity
# in a builder stage, so that pip, its cache and any build tool stay out of the final images.

ARG DEBIAN_IMAGE=debian:trixie-slim

# ---------------------------------------------------------------------------------------------
# base: Debian's Python and the settings every stage shares
FROM ${DEBIAN_IMAGE} AS base
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/usr/local/sbin:/usr/local/bin:/opt/duplicity/bin:/opt/duplicity-cron/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates \
        python3 \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

# ---------------------------------------------------------------------------------------------
# builder: creates the virtual environment; never shipped
FROM base AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binutils python3-venv \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
COPY requirements/duplicity.txt requirements/backends.txt /build/requirements/
# Wheels only (--only-binary): no compiler is needed, here or in any image.
# duplicity's own metadata requires every backend's SDK: --no-deps, then the curated closure.
# The compiled modules lose their debug information (strip --strip-debug: 26.9 -> 19.2 MB).
# One patch to duplicity 3.2.1: par2+ never repairs a damaged volume, because a failing
# `par2 verify` raises and is taken for "no par2 file"; let verify fail so that repair runs.
RUN python3 -m venv /opt/duplicity \
 && /opt/duplicity/bin/pip install --no-compile --only-binary=:all: --no-deps -r /build/requirements/duplicity.txt \
 && /opt/duplicity/bin/pip install --no-compile --only-binary=:all: -r /build/requirements/backends.txt \
 && /opt/duplicity/bin/pip uninstall -y -q pip \
 && sed -i 's/^\( *returncode, out, err = self.subprocess_popen(par2verify\))$/\1, ignore_errors=True)/' \
        /opt/duplicity/lib/python3*/site-packages/duplicity/backends/par2backend.py \
 && grep -q 'subprocess_popen(par2verify, ignore_errors=True)' \
        /opt/duplicity/lib/python3*/site-packages/duplicity/backends/par2backend.py \
 && rm -rf /opt/duplicity/share/doc /opt/duplicity/share/man /opt/duplicity/share/locale \
 && find /opt/duplicity -depth \( -name __pycache__ -o -name '*.pyc' \) -exec rm -rf {} + \
 && find /opt/duplicity -type f -name '*.so*' -exec strip --strip-debug {} + \
 && /opt/duplicity/bin/python3 -c 'import duplicity.backend as b; b.import_backends()'

# duplicity-cron (this repository) with its dependencies, installed next to the venv (--target) so
# that the cron image adds one small layer instead of a second copy of the venv. The compiled
# modules lose their debug information (stringzilla's wheel: 15 MB, 1 MB without).
FROM builder AS cron-builder
COPY pyproject.toml README.md /build/src/
COPY src/ /build/src/src/
COPY images/dedupe_target.py /build/
# -c backends.txt: the libraries both need (requests, urllib3, ...) in the venv's versions, whose
# copies dedupe_target.py then removes from the target folder
RUN python3 -m venv /build/pip \
 && /build/pip/bin/pip install -q --no-compile -c /build/requirements/backends.txt \
        --target /opt/duplicity-cron /build/src \
 && python3 /build/dedupe_target.py /opt/duplicity-cron /opt/duplicity/lib/python3*/site-packages \
 && sed -i '1s|^#!.*python.*|#!/opt/duplicity/bin/python3|' /opt/duplicity-cron/bin/* \
 && find /opt/duplicity-cron -depth \( -name __pycache__ -o -name '*.pyc' \) -exec rm -rf {} + \
 && find /opt/duplicity-cron -name '*.so' -exec strip --strip-debug {} + \
 && echo /opt/duplicity-cron >/opt/duplicity-cron/duplicity-cron.pth

# The docker image's extra: the `docker` library (the engine's API, for the containers' labels), pinned
# in pyproject.toml's `docker` extra; what the venv or /opt/duplicity-cron already has is removed.
FROM cron-builder AS docker-builder
RUN /build/pip/bin/pip install -q --no-compile -c /build/requirements/backends.txt \
        --target /opt/duplicity-cron-docker "/build/src[docker]" \
 && python3 /build/dedupe_target.py /opt/duplicity-cron-docker /opt/duplicity/lib/python3*/site-packages \
 && python3 /build/dedupe_target.py /opt/duplicity-cron-docker /opt/duplicity-cron \
 && rm -rf /opt/duplicity-cron-docker/bin \
 && find /opt/duplicity-cron-docker -depth \( -name __pycache__ -o -name '*.pyc' \) -exec rm -rf {} + \
 && echo /opt/duplicity-cron-docker >/opt/duplicity-cron-docker/duplicity-cron-docker.pth

# ---------------------------------------------------------------------------------------------
# duplicity: the tool and every curated backend; entrypoint duplicity, workdir /workdir
FROM base AS duplicity
ARG VERSION=dev
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        gpg \
        gpg-agent \
        lftp \
        openssh-client \
        par2 \
        rclone \
        rsync \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && groupadd --gid 1000 duplicity \
 && useradd --uid 1000 --gid 1000 --create-home --home-dir /home/duplicity --shell /bin/bash duplicity \
 && mkdir -p /workdir /cache \
 && chmod 1777 /workdir /cache
COPY --from=builder /opt/duplicity /opt/duplicity
# /usr/local/bin/duplicity: creates GNUPGHOME when missing, then runs /opt/duplicity/bin/duplicity
COPY --chmod=755 images/bin/duplicity /usr/local/bin/duplicity
# Writable places for any user (--user 1000:1000, or an arbitrary uid, and --read-only with a
# tmpfs /tmp): gpg's home is in /tmp (a scratch keyring is all a passphrase needs), the duplicity
# archive cache in /cache (keep it on a volume: without it every run re-downloads the signatures).
ENV GNUPGHOME=/tmp/gnupg \
    XDG_CACHE_HOME=/cache
WORKDIR /workdir
ENTRYPOINT ["duplicity"]
CMD ["--help"]

# ---------------------------------------------------------------------------------------------
# cron: the duplicity-cron runner, with tini as PID 1 (reaps gpg-agent and other orphans).
# State (run history, heartbeat) in /var/lib/duplicity-cron (CONF_STATE_DIR): keep it on a volume.
FROM duplicity AS cron
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tini \
        tzdata \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && mkdir -p /var/lib/duplicity-cron \
 && chmod 1777 /var/lib/duplicity-cron
COPY --from=cron-builder /opt/duplicity-cron /opt/duplicity-cron
RUN ln -s /opt/duplicity-cron/duplicity-cron.pth "$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/duplicity-cron.pth" \
 && duplicity-cron --help >/dev/null
STOPSIGNAL SIGTERM
# healthy while the scheduler's heartbeat is fresh and every scheduled task's backups are recent
# (`duplicity-cron healthcheck`; it reads the state in CONF_STATE_DIR). Podman needs --format docker.
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=2 CMD ["duplicity-cron", "healthcheck"]
ENTRYPOINT ["tini", "--", "duplicity-cron"]
CMD ["run"]

# ---------------------------------------------------------------------------------------------
# mariadb: adds Debian's MariaDB client (mariadb, mariadb-dump / mysqldump), and zstd for the built-in dump
FROM cron AS mariadb
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-client zstd \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

# ---------------------------------------------------------------------------------------------
# postgres: adds Debian's PostgreSQL client 18 (psql, pg_dump, pg_dumpall, pg_restore), and zstd for the
# built-in dump. pg_dump dumps servers up to its own major only, and trixie's client is 17: client 18
# comes from Debian's unstable (sid), its two packages and nothing else from there (apt's pins: every
# other sid package at -1), libpq5 and postgresql-client-18, which need trixie's libc6 >= 2.38 and
# nothing newer; the sid source is there for this install only. The major is the pin (as for every
# Debian package here, .hadolint.yaml): sid replaces 18.x without keeping the old one.
FROM cron AS postgres
ARG POSTGRESQL_CLIENT_MAJOR=18
RUN mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources) \
 && printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' \
        "${mirror:-http://deb.debian.org/debian}" /usr/share/keyrings/debian-archive-keyring.gpg \
        >/etc/apt/sources.list.d/sid-postgresql-client.sources \
 && printf 'Package: *\nPin: release n=sid\nPin-Priority: -1\n\nPackage: libpq5 postgresql-client-%s\nPin: release n=sid\nPin-Priority: 500\n' \
        "${POSTGRESQL_CLIENT_MAJOR}" >/etc/apt/preferences.d/sid-postgresql-client \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "postgresql-client-${POSTGRESQL_CLIENT_MAJOR}" libpq5 zstd \
 && rm -f /etc/apt/sources.list.d/sid-postgresql-client.sources /etc/apt/preferences.d/sid-postgresql-client \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && pg_dump --version \
 && test -x "/usr/lib/postgresql/${POSTGRESQL_CLIENT_MAJOR}/bin/pg_dump"

# ---------------------------------------------------------------------------------------------
# mysql: adds MySQL's own client (mysql, mysqldump), and zstd for the built-in dump. MariaDB's client
# cannot back up a MySQL server that can be restored (docs/how-to/mysql.md), and trixie has no MySQL:
# the client comes from Debian's unstable (sid), its one package mysql-client-core and nothing else from
# there (apt's pins: every other sid package at -1), which needs trixie's libraries and nothing newer;
# the sid source is there for this install only; mysql-client-core needs libgoogle-perftools4t64 2.18
# (trixie: 2.16), so it and libtcmalloc-minimal4t64 come from sid too. The package's other tools
# (mysqlslap, mysqlimport, ...: 7 MB each) are left out (dpkg's path-exclude). Sid replaces 9.x without
# keeping the old one.
FROM cron AS mysql
RUN mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources) \
 && printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: %s\n' \
        "${mirror:-http://deb.debian.org/debian}" /usr/share/keyrings/debian-archive-keyring.gpg \
        >/etc/apt/sources.list.d/sid-mysql-client.sources \
 && printf 'Package: *\nPin: release n=sid\nPin-Priority: -1\n\nPackage: mysql-client-core libgoogle-perftools4t64 libtcmalloc-minimal4t64\nPin: release n=sid\nPin-Priority: 500\n' \
        >/etc/apt/preferences.d/sid-mysql-client \
 && printf 'path-exclude=/usr/bin/%s\n' mysql_config_editor mysqlimport mysqlshow mysqlslap mysqlcheck \
        mysqlanalyze mysqloptimize mysqlrepair >/etc/dpkg/dpkg.cfg.d/mysql-client-tools-not-used \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mysql-client-core zstd \
 && rm -f /etc/apt/sources.list.d/sid-mysql-client.sources /etc/apt/preferences.d/sid-mysql-client \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && mysqldump --version \
 && mysql --version

# ---------------------------------------------------------------------------------------------
# docker: adds the docker CLI (talks to an engine through a mounted socket; no daemon) and the docker
# library, through which the runner reads the containers' labels (docs/how-to/containers.md)
FROM cron AS docker
COPY --from=docker-builder /opt/duplicity-cron-docker /opt/duplicity-cron-docker
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker-cli \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && ln -s /opt/duplicity-cron-docker/duplicity-cron-docker.pth \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/duplicity-cron-docker.pth" \
 && python3 -c 'import docker'
