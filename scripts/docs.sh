#!/usr/bin/env bash
# Build the documentation site (mkdocs.yml, docs/) into site/, strictly: a broken link or anchor, or a
# page left out of the nav, fails the build. Then check that no page loads anything from the internet
# when viewed (fonts, scripts, styles): the site must work offline.
# Installs requirements/docs.txt into the venv (VENV, default .venv) like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements/docs.txt

# Material prints a banner about MkDocs 2 at every build otherwise
NO_MKDOCS_2_WARNING=1 "$VENV/bin/mkdocs" build --strict --clean --site-dir site

remote="$(grep -rEoh '<(script|link|img|iframe)[^>]*(src|href)="(https?:)?//[^"]*"|url\((https?:)?//[^)]*\)|fonts\.(googleapis|gstatic)\.com' site --include='*.html' --include='*.css' --include='*.js' | sort -u || true)"
if [ -n "$remote" ]; then
  echo "scripts/docs.sh: the site loads from the internet when viewed:" >&2
  echo "$remote" >&2
  exit 1
fi
echo "scripts/docs.sh: site/ built (strict), nothing loaded from the internet"
