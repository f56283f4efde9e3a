#!/usr/bin/env bash
# Makes the virtualenv with MLServer (a peer of bench/serving, not used by the tests) and prints the
# setting the benchmark reads:
#
#   eval "$(scripts/services/mlserver-venv.sh)"   # create/update (idempotent), export CAIRN_BENCH_MLSERVER_PYTHON
#
# MLServer's pins do not co-install with the main venv's (test/python/requirements.txt), so it gets
# a venv of its own in ${CAIRN_MLSERVER_VENV:-<repo>/.venv-mlserver}, with
# test/python/requirements-mlserver.txt, installed again only when that file changed (its SHA-256
# is kept in <venv>/.cairn-requirements.sha256). Progress goes to stderr; stdout carries only the
# export line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CAIRN_MLSERVER_VENV:-$ROOT/.venv-mlserver}"
REQUIREMENTS="$ROOT/test/python/requirements-mlserver.txt"
STAMP="$VENV/.cairn-requirements.sha256"
BASE_PYTHON="${CAIRN_VENV_PYTHON:-python3}"

say() { echo "mlserver-venv.sh: $*" >&2; }

want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
  command -v "$BASE_PYTHON" >/dev/null 2>&1 || { say "no $BASE_PYTHON found; set CAIRN_VENV_PYTHON"; exit 1; }
  say "creating $VENV with $("$BASE_PYTHON" -V 2>&1)"
  "$BASE_PYTHON" -m venv --clear "$VENV" >&2
  rm -f "$STAMP"
fi
if [[ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]]; then
  say "installing $REQUIREMENTS into $VENV (a few minutes the first time)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$REQUIREMENTS" 2>&1 |
    { grep -v '^Requirement already satisfied' || true; } >&2
  echo "$want" >"$STAMP.tmp"
  mv -f "$STAMP.tmp" "$STAMP"
  say "requirements installed"
else
  say "$VENV is up to date"
fi
printf 'export CAIRN_BENCH_MLSERVER_PYTHON=%q\n' "$VENV/bin/python"
