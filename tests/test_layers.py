"""The layering of DESIGN.md: the core never pulls in the UI, the UI's start-up stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import ROOT


def loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return {m.split(".")[0] for m in out.stdout.split()}


def test_engine_and_plugins_do_not_import_textual():
    modules = loaded_after(
        "import afina.engine, afina.engine.store, afina.engine.ingest.run, afina.plugins\n"
        "from afina.engine.plugins import load_all\n"
        "load_all('importer')"
    )
    assert "textual" not in modules


def test_tui_start_up_does_not_import_heavy_libraries():
    modules = loaded_after("import afina.tui.app, afina.tui.cli")
    assert not modules & {"torch", "transformers", "faiss", "sentence_transformers", "peft"}


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


HEAVY = {"numpy", "torch", "textual", "transformers", "faiss", "sentence_transformers", "peft"}

# Runs `afina ... --help` in-process for each argument list and prints what got loaded.
HELP = """
import contextlib, io, sys
from afina.tui.cli import main
for args in {commands!r}:
    with contextlib.redirect_stdout(io.StringIO()) as page:
        code = main([*args, "--help"])
    assert code == 0 and "Usage:" in page.getvalue(), (args, code, page.getvalue())
print("\\n".join(sys.modules))
"""


def loaded_by_help(commands: list[list[str]]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", HELP.format(commands=commands)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return {m.split(".")[0] for m in out.stdout.split()}


def test_afina_help_loads_no_heavy_library():
    assert not loaded_by_help([[]]) & HEAVY


def test_every_command_help_loads_no_heavy_library():
    from afina.tui.cli import cli

    def paths(cmd, prefix):
        yield prefix
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from paths(sub, [*prefix, name])

    commands = list(paths(cli, []))
    assert ["pairs", "extract"] in commands and ["jobs"] in commands and ["votes"] in commands
    assert not loaded_by_help(commands) & HEAVY
