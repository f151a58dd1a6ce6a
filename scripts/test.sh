#!/usr/bin/env bash
# The test command from the README: sets up .venv from nothing, then runs the checks and tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k whatsapp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV=${AFINA_VENV:-.venv}

echo "== ruff";          "$VENV/bin/ruff" check .
echo "== import layers"; "$VENV/bin/lint-imports"
echo "== mypy";          bash scripts/typecheck.sh
echo "== pytest"
# Tests never touch the user's own cache or the network.
export AFINA_CACHE_DIR="${AFINA_CACHE_DIR:-$(mktemp -d)}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$VENV/bin/python" -m pytest -n 2 "$@"
