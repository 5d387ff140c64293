#!/usr/bin/env bash
# Run the local example (examples/local-folder.env) on a plain Debian/Ubuntu machine, from a fresh
# clone, in one command: a backup of a folder to a file:// target every minute, a drill every 10.
#
#   1. installs what it needs: as root with apt-get, python3-venv and gnupg when missing; otherwise
#      it says what to install and stops;
#   2. makes the virtualenv VENV and installs this package and duplicity (requirements/duplicity.txt);
#   3. makes the demo folder DEMO: data/ (a copy of README.md, docs/ and examples/) and a random
#      passphrase file (mode 600, never printed; kept across runs: without it nothing can be restored);
#   4. runs `check`, then a first backup (`exec backup`), prints the exact commands that restore,
#      verify and show the status from another terminal, and starts the scheduler (`run`) in the
#      foreground (Ctrl-C, or SIGTERM to this process, stops it cleanly).
#
# Environment (or options):
#   VENV=DIR                    the virtualenv (default .venv, in the checkout)
#   NO_INSTALL=1, --no-install  install nothing: use VENV as it is (it must hold duplicity-cron and duplicity)
#   DEMO=DIR                    the demo folder (default /tmp/duplicity-cron-demo, the example's); another
#                               folder gets DIR/local-folder.env, the example with its paths
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
EXAMPLE_DEMO=/tmp/duplicity-cron-demo

NO_INSTALL="${NO_INSTALL:-}"
for arg in "$@"; do
  case "$arg" in
    --no-install) NO_INSTALL=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-local.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
VENV="${VENV:-.venv}"
DEMO="${DEMO:-$EXAMPLE_DEMO}"
case "$DEMO" in
  /*) ;;
  *) echo "run-local.sh: DEMO must be an absolute path, not '$DEMO'" >&2; exit 2 ;;
esac
DEMO="${DEMO%/}"

install_system() {
  local missing=()
  if ! command -v python3 >/dev/null; then
    missing+=(python3 python3-venv)
  elif ! python3 -c 'import ensurepip' 2>/dev/null; then
    missing+=(python3-venv)
  fi
  command -v gpg >/dev/null || missing+=(gnupg)
  if [ "${#missing[@]}" != 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "run-local.sh: installing ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "run-local.sh: missing ${missing[*]}: install them (sudo apt-get install ${missing[*]}) and run me again" >&2
      exit 1
    fi
  fi
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "run-local.sh: duplicity-cron needs Python 3.11 or newer, this python3 is $(python3 -V 2>&1)" >&2; exit 1; }
}

if [ "$NO_INSTALL" != 1 ]; then
  install_system
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  echo "run-local.sh: installing duplicity-cron and duplicity into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e .
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r requirements/duplicity.txt
fi
if [ ! -x "$VENV/bin/duplicity-cron" ]; then
  echo "run-local.sh: $VENV/bin/duplicity-cron is missing: run me without --no-install (NO_INSTALL), or set VENV" >&2
  exit 1
fi
VENV="$(cd "$VENV" && pwd)"
DC="$VENV/bin/duplicity-cron"
export PATH="$VENV/bin:$PATH" # the runner finds duplicity on PATH

# The demo folder: data to back up, and a passphrase made once (a new one could not restore the old backups).
if [ ! -d "$DEMO/data" ]; then
  mkdir -p "$DEMO/data"
  cp -r README.md docs examples "$DEMO/data/"
fi
if [ ! -s "$DEMO/passphrase" ]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$DEMO/passphrase")
fi
chmod 600 "$DEMO/passphrase"

ENV_FILE="$ROOT/examples/local-folder.env"
if [ "$DEMO" != "$EXAMPLE_DEMO" ]; then
  escaped="$(printf '%s' "$DEMO" | sed 's/[\\&|]/\\&/g')"
  sed "s|$EXAMPLE_DEMO|$escaped|g" "$ENV_FILE" >"$DEMO/local-folder.env"
  ENV_FILE="$DEMO/local-folder.env"
fi

# duplicity-cron runs duplicity from PATH: the other terminal activates the venv first
command_line() { printf 'duplicity-cron --env-file %q %s' "$ENV_FILE" "$*"; }

"$DC" --env-file "$ENV_FILE" check
echo "run-local.sh: a first backup of $DEMO/data into file://$DEMO/target"
"$DC" --env-file "$ENV_FILE" exec backup

cat <<EOF

run-local.sh: the passphrase is in $DEMO/passphrase (mode 600): keep it, nothing can be restored without it.
From another terminal:
  . $(printf %q "$VENV/bin/activate")
  $(command_line restore backup)    # the latest backup, into a fresh folder (printed)
  $(command_line verify backup)     # a drill: restore, verify, compare
  $(command_line status)            # last run, last success, next run
Starting the scheduler (a backup every minute, a drill every 10 minutes, 30 s after a backup); Ctrl-C stops it.

EOF
exec "$DC" --env-file "$ENV_FILE" run
