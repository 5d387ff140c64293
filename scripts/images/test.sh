#!/usr/bin/env bash
# Entry point of the image tests: sets up the container engine (docker where one answers, otherwise
# rootful podman with a locally made debian:trixie-slim where no registry answers), installs the
# test tools into their own venv, and runs pytest on tests/images. Arguments go to pytest:
#   scripts/images/test.sh                     # everything
#   scripts/images/test.sh -k duplicity -x     # a selection
# Variables: DUPLICITY_CRON_CACHE (default /var/cache/duplicity-cron-ci: image store, tools venv).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache="${DUPLICITY_CRON_CACHE:-/var/cache/duplicity-cron-ci}"
started=$(date +%s)

# shellcheck source=scripts/images/setup-podman.sh
. "$repo/scripts/images/setup-podman.sh"

# the tests start Debian's servers (sshd, rsync, mariadb, postgresql) on free ports
host_pkgs=(openssh-server openssh-client rsync mariadb-server postgresql par2 rclone)
python3 -m venv --help >/dev/null 2>&1 || host_pkgs+=(python3-venv)
missing=()
for p in "${host_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}" >&2
    apt-get update -q >&2
    # no service starts in the package scripts: the tests run their own servers
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    rm -f /usr/sbin/policy-rc.d
fi

venv="$cache/venv"
stamp="$venv/.requirements"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$repo/requirements/images-test.txt" "$stamp"; then
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$repo/requirements/images-test.txt" \
        2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
    cp "$repo/requirements/images-test.txt" "$stamp"
fi
echo "test.sh: engine $ENGINE ready after $(($(date +%s) - started)) s" >&2

cd "$repo"
export PATH="$venv/bin:$PATH"
set +e
paths=(tests/images)
for arg in "$@"; do [[ "$arg" == tests/* ]] && paths=(); done
"$venv/bin/python" -m pytest -p no:cacheprovider "${paths[@]}" "$@"
rc=$?
echo "test.sh: tests/images took $(($(date +%s) - started)) s in all (exit $rc)" >&2
exit $rc
