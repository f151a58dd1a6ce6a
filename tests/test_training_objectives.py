"""Training objectives as a table keyed by the method's task: both built-in objectives are
found, an unknown task names the known ones, and a new objective is one module dropped into
the package's path, used by create_run and the runner's dispatch with no engine file edited."""

from __future__ import annotations

import dataclasses
import importlib
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import afina.engine.training.objectives as package
from afina.engine import plugins
from afina.engine.config import TrainSettings
from afina.engine.errors import UsageError
from afina.engine.training import jobs
from afina.engine.training.contract import CAUSAL_LM, SEQ_CLASSIFICATION, TrainMethod
from afina.engine.training.objectives import (
    Objective,
    objective_for,
    objective_of,
    objectives,
    train,
)
from afina.engine.training.spec import read_spec
from afina.engine.workspace import init_workspace

FAKE = "fake_objective"
FAKE_MODULE = textwrap.dedent(
    """
    from afina.engine.training.objectives import Objective


    class Fake(Objective):
        name = "fake"
        task = "test-task"

        def prepare_data(self, ws, settings, options, data_dir, allow, system_prompt=""):
            data_dir.mkdir(parents=True)
            (data_dir / "rows.txt").write_text("a\\nb\\nc\\n")
            options["rows"] = "data/rows.txt"
            return 3

        def run(self, spec, run_dir, log, stop, resume):
            rows = (run_dir / spec.method_options["rows"]).read_text().split()
            return {"trained_on": rows, "resume": resume}


    OBJECTIVE = Fake()
    """
)


@pytest.fixture
def extra_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder outside the repository added to the package's search path; the modules
    imported from it are forgotten afterwards."""
    folder = tmp_path / "more_objectives"
    folder.mkdir()
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    before = set(sys.modules)
    yield folder
    importlib.invalidate_caches()
    for name in set(sys.modules) - before:
        if name.startswith(package.__name__ + "."):
            del sys.modules[name]
            short = name.rpartition(".")[2]
            if hasattr(package, short):
                delattr(package, short)


def drop(folder: Path, name: str, text: str) -> None:
    """A module file in the folder, seen by the next import (finders cache folder listings)."""
    (folder / f"{name}.py").write_text(text)
    importlib.invalidate_caches()


def test_both_built_in_objectives_are_found_by_task() -> None:
    table = objectives()
    assert set(table) >= {CAUSAL_LM, SEQ_CLASSIFICATION}
    sft, classification = objective_for(CAUSAL_LM), objective_for(SEQ_CLASSIFICATION)
    assert (sft.name, sft.task) == ("sft", CAUSAL_LM)
    assert (classification.name, classification.task) == ("classification", SEQ_CLASSIFICATION)
    assert type(sft).__module__ == f"{package.__name__}.sft"
    assert type(classification).__module__ == f"{package.__name__}.classification"
    assert all(isinstance(o, Objective) for o in table.values())


@pytest.mark.parametrize(
    ("method", "objective"),
    [("lora", "sft"), ("full", "sft"), ("ia3", "sft"), ("seq-classification", "classification")],
)
def test_each_method_reaches_the_objective_of_its_task(method: str, objective: str) -> None:
    assert objective_of(method).name == objective


def test_an_unknown_task_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="no training objective for the task 'preference'") as e:
        objective_for("preference")
    assert e.value.hint == f"known tasks: {CAUSAL_LM}, {SEQ_CLASSIFICATION}"


def test_a_dry_run_of_an_objective_without_one_says_so() -> None:
    with pytest.raises(UsageError, match="cannot measure classification training"):
        objective_for(SEQ_CLASSIFICATION).measure(None, Path("."), 3)  # type: ignore[arg-type]


def test_a_new_objective_is_one_module_dropped_in(extra_path: Path) -> None:
    with pytest.raises(UsageError):
        objective_for("test-task")
    drop(extra_path, FAKE, FAKE_MODULE)
    found = objective_for("test-task")
    assert found.name == "fake" and type(found).__module__ == f"{package.__name__}.{FAKE}"
    assert objective_for(CAUSAL_LM).name == "sft"  # the built-in ones are still there
    assert "test-task" in objectives()


class _TestMethod(TrainMethod):
    name = "test-method"
    task = "test-task"


def test_create_run_and_the_runner_dispatch_use_a_dropped_in_objective(
    extra_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(extra_path, FAKE, FAKE_MODULE)
    real = plugins.load_plugin

    def load(kind: str, name: str) -> Any:
        return _TestMethod if (kind, name) == ("trainer", "test-method") else real(kind, name)

    monkeypatch.setattr(plugins, "load_plugin", load)
    ws, _ = init_workspace(tmp_path / "w")
    settings = dataclasses.replace(TrainSettings(), method="test-method")
    run_dir, spec = jobs.create_run(ws, settings)
    assert spec.examples == 3 and (run_dir / "data" / "rows.txt").is_file()
    spec = read_spec(run_dir)
    assert spec.method_options == {"rows": "data/rows.txt"}
    metrics = train(spec, run_dir, None, threading.Event(), True)
    assert metrics == {"trained_on": ["a", "b", "c"], "resume": True}


def test_a_failing_preparation_leaves_no_run_folder(
    extra_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FAKE_MODULE.replace("return 3", "raise UsageError('no rows')")
    drop(extra_path, FAKE, "from afina.engine.errors import UsageError\n" + failing)
    real = plugins.load_plugin
    monkeypatch.setattr(
        plugins,
        "load_plugin",
        lambda kind, name: _TestMethod if name == "test-method" else real(kind, name),
    )
    ws, _ = init_workspace(tmp_path / "w")
    with pytest.raises(UsageError, match="no rows"):
        jobs.create_run(ws, dataclasses.replace(TrainSettings(), method="test-method"))
    assert not list((ws.root / "runs").glob("*"))


def test_a_module_without_an_objective_or_a_second_claim_on_a_task_is_refused(
    extra_path: Path,
) -> None:
    drop(extra_path, "stray", "X = 1\n")
    with pytest.raises(TypeError, match="stray must set OBJECTIVE"):
        objectives()
    (extra_path / "stray.py").unlink()
    sys.modules.pop(f"{package.__name__}.stray", None)
    drop(extra_path, "again", FAKE_MODULE.replace('"test-task"', f'"{CAUSAL_LM}"'))
    with pytest.raises(TypeError, match="both claim task 'causal-lm'"):
        objectives()
    drop(extra_path, "_helper", "X = 1\n")  # private helpers are not objectives
    (extra_path / "again.py").unlink()
    assert set(objectives()) == {CAUSAL_LM, SEQ_CLASSIFICATION}


def test_a_classifier_run_is_refused_as_a_chat_assistant(tmp_path: Path) -> None:
    from afina.engine.chat.generate import load_run
    from afina.engine.training.spec import SPEC_FILE, RunSpec

    settings = dataclasses.replace(TrainSettings(), method="seq-classification")
    spec = RunSpec("20260101-000000-abcd", "2026-01-01T00:00:00+00:00", settings)
    (tmp_path / SPEC_FILE).write_text(spec.to_toml())
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "adapter_config.json").write_text('{"task_type": "SEQ_CLS"}')
    assert objective_for(CAUSAL_LM).chat_model
    refused = r"trained a classification model \(seq-classification\), not one that chats"
    with pytest.raises(UsageError, match=refused):
        load_run(tmp_path)
