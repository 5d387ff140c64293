#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh Debian/Ubuntu machine
# (apt: gnupg, util-linux, procps, the PostgreSQL and MariaDB servers, zstd, prometheus-pushgateway,
# prometheus for promtool, chromium (the status page's browser test);
# pip: this package with its test extras, and duplicity; helm through scripts/install-helm.sh), runs
# ruff and mypy, the documentation's strict build (scripts/docs.sh), the runner's tests (tests/unit,
# tests/integration) and the chart's (tests/chart), then
# the image tests
# (scripts/images/test.sh: container engine, images built and run, servers started by the tests).
# Extra arguments go to the runner's pytest, e.g. `scripts/test.sh -k daemon`;
# SKIP_IMAGES=1 leaves the image tests out (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gnupg util-linux procps bash ca-certificates >/dev/null
  # the tests start Debian's servers themselves: no service starts in the package scripts
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends postgresql mariadb-server zstd prometheus-pushgateway \
    prometheus chromium >/dev/null
  rm -f /usr/sbin/policy-rc.d
  python3 -m venv --help >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -e '.[test]'
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r requirements/duplicity.txt
export PATH="$PWD/$VENV/bin:$PATH"
HELM="$(bash scripts/install-helm.sh)"
export HELM

ruff check .
ruff format --check .
mypy
bash scripts/docs.sh
pytest tests/unit tests/integration tests/chart "$@"

if [ "${SKIP_IMAGES:-}" = 1 ]; then
  echo "scripts/test.sh: SKIP_IMAGES=1: the image tests (scripts/images/test.sh) were NOT run" >&2
  exit 0
fi
bash scripts/images/test.sh
