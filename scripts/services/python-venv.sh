#!/usr/bin/env bash
# Makes the Python virtualenv that Cairn's reference tests and benchmarks use, and prints the
# setting those suites read:
#
#   eval "$(scripts/services/python-venv.sh)"     # create/update (idempotent), export CAIRN_TEST_PYTHON
#
# The venv lives in ${CAIRN_VENV:-<repo>/.venv}. It is created with `python3 -m venv` when missing
# (set CAIRN_VENV_PYTHON to use another interpreter; Python >= 3.11), and test/python/requirements.txt
# (or the file CAIRN_VENV_REQUIREMENTS names) is installed only when the file changed since the
# last install: its SHA-256 is kept in
# <venv>/.cairn-requirements.sha256, so an up-to-date venv costs one comparison.
# Progress goes to stderr; stdout carries only the export line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CAIRN_VENV:-$ROOT/.venv}"
REQUIREMENTS="${CAIRN_VENV_REQUIREMENTS:-$ROOT/test/python/requirements.txt}"
STAMP="$VENV/.cairn-requirements.sha256"
BASE_PYTHON="${CAIRN_VENV_PYTHON:-python3}"

say() { echo "python-venv.sh: $*" >&2; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

[[ -f "$REQUIREMENTS" ]] || { say "missing $REQUIREMENTS"; exit 1; }
want="$(sha256_of "$REQUIREMENTS")"

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
  command -v "$BASE_PYTHON" >/dev/null 2>&1 || {
    say "no $BASE_PYTHON found; install Python >= 3.11 or set CAIRN_VENV_PYTHON to one"
    exit 1
  }
  "$BASE_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
    say "$BASE_PYTHON is $("$BASE_PYTHON" -V 2>&1); the pinned packages need Python >= 3.11 (set CAIRN_VENV_PYTHON)"
    exit 1
  }
  if [[ -d "$VENV" && -n "$(ls -A "$VENV")" && ! -f "$VENV/pyvenv.cfg" ]]; then
    say "$VENV exists and is not a virtualenv; remove it or set CAIRN_VENV to another directory"
    exit 1
  fi
  say "creating $VENV with $("$BASE_PYTHON" -V 2>&1)"
  # --clear: a venv without a working interpreter (moved, or its Python removed) is rebuilt whole.
  "$BASE_PYTHON" -m venv --clear "$VENV" >&2
  rm -f "$STAMP"
fi

if [[ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]]; then
  say "installing $REQUIREMENTS into $VENV (this can take a few minutes the first time)"
  # Packages already present are not reported one by one: on an existing venv that is most lines.
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r "$REQUIREMENTS" 2>&1 |
    { grep -v '^Requirement already satisfied' || true; } >&2
  # Written only after pip succeeded, and atomically, so a failed or interrupted install is retried.
  echo "$want" >"$STAMP.tmp"
  mv -f "$STAMP.tmp" "$STAMP"
  say "requirements installed"
else
  say "$VENV is up to date"
fi

printf 'export CAIRN_TEST_PYTHON=%q\n' "$VENV/bin/python"
