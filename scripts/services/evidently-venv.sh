#!/usr/bin/env bash
# Makes the virtualenv with Evidently, the drift peer, and prints the setting its suites read:
#
#   eval "$(scripts/services/evidently-venv.sh)"  # create/update (idempotent), export CAIRN_TEST_EVIDENTLY_PYTHON
#
# Evidently needs a pandas older than the one the main venv pins, so it gets a venv of its own, in
# ${CAIRN_EVIDENTLY_VENV:-<repo>/.venv-evidently}, with test/python/requirements-evidently.txt.
# Creation and the install-only-when-changed check are python-venv.sh's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CAIRN_VENV="${CAIRN_EVIDENTLY_VENV:-$ROOT/.venv-evidently}" \
  CAIRN_VENV_REQUIREMENTS="$ROOT/test/python/requirements-evidently.txt" \
  "$ROOT/scripts/services/python-venv.sh" | sed 's/^export CAIRN_TEST_PYTHON=/export CAIRN_TEST_EVIDENTLY_PYTHON=/'
