"""The package layout: the explicit package list is complete and nothing generic leaks out."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from support import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
FOLDERS = {"afina.engine": "engine", "afina.plugins": "plugins", "afina.tui": "tui"}


def test_package_list_names_every_code_folder():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {"afina.datasets"}
    for package, folder in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *rel)))
    assert listed == found


def test_datasets_folder_is_data_only():
    assert not list((ROOT / "datasets").rglob("*.py")), "datasets/ must hold no code"


def test_generic_names_do_not_import_outside_the_repo(tmp_path):
    code = (
        "import importlib.util, sys\n"
        "print([n for n in ('engine', 'plugins', 'tui') if importlib.util.find_spec(n)])\n"
        "import datasets\n"
        "print(getattr(datasets, '__file__', None) is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True", "`import datasets` must find Hugging Face datasets, not ours"


@pytest.mark.slow
def test_wheel_holds_only_the_afina_namespace(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("afina-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"afina", next(t for t in tops if t.endswith(".dist-info"))}
    assert "afina/tui/app.tcss" in names
    assert any(n.startswith("afina/datasets/sample_domain/") for n in names)
    assert "afina/engine/__init__.py" in names
