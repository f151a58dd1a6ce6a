"""ARCHITECTURE.md stays true to the tree: the paths it names exist, every package is named,
and its floors are the layers contract that lint-imports enforces."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from support import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOC = ROOT / "ARCHITECTURE.md"
CODE = ("engine", "plugins", "tui")
TOP = (*CODE, "tests", "benchmarks", "scripts", "datasets")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def named_paths(text: str) -> set[str]:
    """Backticked repository paths: `engine/rag/`, `tui/cli/pairs_cmds.py` ..."""
    found = set()
    for raw in re.findall(r"`([^`\s]+)`", text):
        path = raw.rstrip(".,:;")
        if path.split("/")[0] in TOP and "/" in path and "<" not in path and "*" not in path:
            found.add(path)
    return found


def test_every_path_the_doc_names_exists():
    missing = sorted(p for p in named_paths(doc_text()) if not (ROOT / p).exists())
    assert not missing, f"ARCHITECTURE.md names paths that are not in the tree: {missing}"


def test_every_package_and_engine_module_is_named():
    named = named_paths(doc_text())
    packages = sorted(
        f"{p.parent.relative_to(ROOT).as_posix()}/"
        for top in CODE
        for p in (ROOT / top).rglob("__init__.py")
        if p.parent != ROOT / top
    )
    engine_modules = sorted(
        f"engine/{p.name}" for p in (ROOT / "engine").glob("*.py") if p.name != "__init__.py"
    )
    unnamed = [p for p in (*packages, *engine_modules) if p not in named]
    assert not unnamed, f"ARCHITECTURE.md does not say what these are: {unnamed}"


def contract_floors() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    return [" ".join(layer.replace("(", "").replace(")", "").split()) for layer in layers["layers"]]


def doc_floors(text: str) -> list[str]:
    block = re.search(r"## Floors.*?```\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md has no '## Floors' section with a code block"
    return [" ".join(line.split("#")[0].split()) for line in block.group(1).splitlines() if line]


def test_the_floors_written_down_are_the_enforced_contract():
    assert doc_floors(doc_text()) == contract_floors()


def test_a_path_that_is_gone_is_caught(tmp_path: Path):
    # The checks above must be able to fail: a made-up path is reported missing.
    text = "see `engine/no_such_floor/` and `tui/screens/`"
    assert named_paths(text) == {"engine/no_such_floor/", "tui/screens/"}
    assert not (ROOT / "engine/no_such_floor").exists()


def test_no_module_of_the_code_folders_is_over_500_lines():
    # Small files named for what they do: a module past this has two jobs and a seam to cut.
    long = {
        p.relative_to(ROOT).as_posix(): n
        for top in CODE
        for p in (ROOT / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, long
