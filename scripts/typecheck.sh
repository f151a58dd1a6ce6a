#!/usr/bin/env bash
# mypy over afina as it is imported (afina.engine, afina.plugins, afina.tui). The code lives in
# engine/, plugins/ and tui/, so a folder of links gives mypy the real package names; without
# it every `from afina...` import would be an unchecked Any.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${AFINA_VENV:-.venv}
mkdir -p .typecheck/afina
for d in engine plugins tui datasets; do ln -sfn "../../$d" ".typecheck/afina/$d"; done
cd .typecheck
MYPYPATH=. exec "../$VENV/bin/mypy" --config-file ../pyproject.toml -p afina.engine -p afina.plugins -p afina.tui
