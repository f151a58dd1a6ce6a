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
# The remote-training tests start a real sshd on 127.0.0.1 (tests/ssh_support.py); they are
# skipped where it cannot be installed (not root, no apt-get).
if { [ ! -x /usr/sbin/sshd ] || ! command -v rsync >/dev/null; } \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing openssh-server and rsync for the remote tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q openssh-server rsync >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q openssh-server rsync >/dev/null; }
fi
echo "== pytest"
# Tests never touch the user's own cache or the network.
export AFINA_CACHE_DIR="${AFINA_CACHE_DIR:-$(mktemp -d)}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$VENV/bin/python" -m pytest -n 2 "$@"
