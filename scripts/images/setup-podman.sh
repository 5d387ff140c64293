#!/usr/bin/env bash
# Sets up a container engine for building and testing the images, and makes sure the base image
# (debian:trixie-slim) is there. Idempotent: a second run only checks and returns in about a second.
#
#   . scripts/images/setup-podman.sh     # sourced: exports ENGINE, CONTAINERS_CONF, CONTAINERS_STORAGE_CONF
#   scripts/images/setup-podman.sh       # executed: sets up and prints the same as `export` lines
#
# Engine: docker where `docker info` answers, otherwise rootful podman from Debian, configured
# through its own containers.conf (runtime runc, nofile limit = `ulimit -Hn`) and storage.conf
# (overlay, image store under $DUPLICITY_CRON_CACHE, default /var/cache/duplicity-cron-ci).
# Base image: pulled when a registry answers; otherwise made with debootstrap --variant=minbase from
# the host's Debian mirror, trimmed like the official slim image, and tagged debian:trixie-slim.
# Only that locally made base trusts the host's extra CAs (/usr/local/share/ca-certificates).
#
# Variables: DUPLICITY_CRON_CACHE, DUPLICITY_CRON_ENGINE (force docker|podman),
#            DUPLICITY_CRON_BASE_SUITE (default trixie; the database version matrix also makes
#            bullseye, bookworm and sid), DUPLICITY_CRON_MIRROR (default: host's).

_dc_setup_main() {
    set -euo pipefail
    local cache="${DUPLICITY_CRON_CACHE:-/var/cache/duplicity-cron-ci}"
    local suite="${DUPLICITY_CRON_BASE_SUITE:-trixie}"
    local base="docker.io/library/debian:${suite}-slim"
    local engine="${DUPLICITY_CRON_ENGINE:-}"
    # Bump when the recipe of the locally made base changes: the base is then rebuilt once.
    local recipe=4

    _dc_log() { echo "setup-podman: $*" >&2; }

    if [[ -z "$engine" ]]; then
        if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
            engine=docker
        else
            engine=podman
        fi
    fi

    if [[ "$engine" == podman ]]; then
        local pkgs=(podman runc netavark aardvark-dns iptables debootstrap catatonit uidmap)
        local missing=()
        local p
        for p in "${pkgs[@]}"; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
        done
        if ((${#missing[@]})); then
            [[ $(id -u) == 0 ]] || { _dc_log "need root to install: ${missing[*]}"; return 1; }
            _dc_log "installing ${missing[*]}"
            apt-get update -q >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
        fi

        # runtime state of this store (one per cache folder: two stores must not share it)
        local runroot
        runroot="/run/duplicity-cron-ci/$(printf '%s' "$cache" | md5sum | cut -c1-8)"
        mkdir -p "$cache/storage" "$runroot"
        local nofile
        nofile=$(ulimit -Hn)
        [[ "$nofile" == unlimited ]] && nofile=1048576
        local cgroup_manager=cgroupfs
        [[ -d /run/systemd/system ]] && cgroup_manager=systemd
        _dc_write_if_changed "$cache/containers.conf" <<EOF
# Written by scripts/images/setup-podman.sh
[containers]
# podman's default nofile=1048576 fails without CAP_SYS_RESOURCE: use the hard limit we have.
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]

[engine]
# crun refuses hybrid cgroup layouts; runc works.
runtime = "runc"
cgroup_manager = "${cgroup_manager}"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
        _dc_write_if_changed "$cache/storage.conf" <<EOF
# Written by scripts/images/setup-podman.sh
[storage]
driver = "overlay"
graphroot = "${cache}/storage"
runroot = "${runroot}"
EOF
        export CONTAINERS_CONF="$cache/containers.conf"
        export CONTAINERS_STORAGE_CONF="$cache/storage.conf"
        podman info >/dev/null || { _dc_log "podman info failed"; return 1; }
    fi

    if "$engine" image inspect "$base" >/dev/null 2>&1; then
        local have
        have=$("$engine" image inspect --format '{{ index .Config.Labels "org.duplicity-cron.local-base" }}' "$base" 2>/dev/null || true)
        if [[ -z "$have" || "$have" == "<no value>" || "$have" == "$recipe" ]]; then
            _dc_log "$engine ready, base $base present"
            _dc_emit "$engine" "$cache"
            return 0
        fi
        _dc_log "locally made base has recipe $have, want $recipe: rebuilding"
    elif timeout 60 "$engine" pull -q "$base" >/dev/null 2>&1; then
        _dc_log "pulled $base"
        _dc_emit "$engine" "$cache"
        return 0
    fi
    _dc_make_base "$engine" "$suite" "$base" "$recipe"
    _dc_emit "$engine" "$cache"
}

_dc_write_if_changed() {
    local dest=$1 tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
        rm -f "$tmp"
    else
        mv "$tmp" "$dest"
        chmod 644 "$dest"
    fi
}

_dc_emit() {
    printf 'export ENGINE=%q\n' "$1"
    if [[ "$1" == podman ]]; then
        printf 'export CONTAINERS_CONF=%q\n' "$2/containers.conf"
        printf 'export CONTAINERS_STORAGE_CONF=%q\n' "$2/storage.conf"
    fi
}

_dc_host_mirror() {
    if [[ -n "${DUPLICITY_CRON_MIRROR:-}" ]]; then
        echo "$DUPLICITY_CRON_MIRROR"
        return
    fi
    local uri=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
        uri=$(awk '/^deb / && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

_dc_host_security_mirror() {
    local uri=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        uri=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    fi
    echo "${uri:-http://deb.debian.org/debian-security}"
}

_dc_make_base() {
    local engine=$1 suite=$2 base=$3 recipe=$4
    local mirror security rootfs
    mirror=$(_dc_host_mirror)
    security=$(_dc_host_security_mirror)
    rootfs=$(mktemp -d /var/tmp/duplicity-cron-rootfs.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$rootfs'" RETURN
    _dc_log "no registry: debootstrap --variant=minbase $suite from $mirror (about 30 s)"
    debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs._dc_log" 2>&1 || {
        tail -20 "$rootfs._dc_log" >&2
        return 1
    }
    rm -f "$rootfs._dc_log"

    # --- behave like the official debian:*-slim image ---
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
    echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# This is the "slim" variant of the Debian base image.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
    # apply the excludes to what debootstrap already unpacked
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/* 2>/dev/null || true
    # sources like the official image, on the host's mirror
    rm -f "$rootfs/etc/apt/sources.list"
    if [[ "$suite" == sid || "$suite" == unstable ]]; then
        # unstable has no -updates and no -security suite
        cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    else
        cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    # --- local additions (this locally made base only) ---
    # the mirror may be a snapshot whose Release files have expired
    echo 'Acquire::Check-Valid-Until "false";' >"$rootfs/etc/apt/apt.conf.d/99local-snapshot"
    # HTTPS here goes through an intercepting proxy: trust the host's extra CAs once
    # ca-certificates is installed (update-ca-certificates reads this folder), and point pip at the bundle.
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    local crt
    for crt in /usr/local/share/ca-certificates/*.crt; do
        [[ -f "$crt" ]] && cp "$crt" "$rootfs/usr/local/share/ca-certificates/"
    done
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"

    # --- clean up like debuerreotype ---
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    rm -rf "$rootfs"/var/_dc_log/{apt,dpkg._dc_log,bootstrap._dc_log,alternatives._dc_log} "$rootfs"/var/cache/ldconfig/aux-cache
    rm -rf "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.cache
    : >"$rootfs/etc/machine-id"
    echo 'debian' >"$rootfs/etc/hostname"

    _dc_log "importing the rootfs as $base"
    local quiet=()
    [[ "$engine" == podman ]] && quiet=(--quiet)
    tar --numeric-owner -C "$rootfs" -c . | "$engine" import "${quiet[@]}" \
        --change 'CMD ["bash"]' \
        --change "LABEL org.duplicity-cron.local-base=$recipe" \
        - "$base" >/dev/null
    local version
    version=$(cut -d. -f1 "$rootfs/etc/debian_version" 2>/dev/null || true)
    if [[ "$version" =~ ^[0-9]+$ ]]; then
        "$engine" tag "$base" "docker.io/library/debian:${version}-slim"
    fi
    _dc_log "base ready: $base ($("$engine" image inspect --format '{{.Size}}' "$base") bytes)"
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # sourced: run in a subshell (set -e must not leak) and export what it prints
    _dc_setup_out=$( (_dc_setup_main) ) || { echo "setup-podman: failed" >&2; return 1; }
    eval "$_dc_setup_out"
    unset _dc_setup_out
else
    _dc_setup_main
fi
