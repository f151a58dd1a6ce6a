"""Training settings are checked where they are made: TrainSettings itself, afina.toml, a run's
spec.toml and `afina train --set` each refuse a bad value by its key before anything starts."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from afina.engine.config import (
    LAUNCHERS,
    LR_SCHEDULERS,
    PRECISIONS,
    TrainSettings,
    parse_config,
)
from afina.engine.errors import ConfigError, InvalidSetting
from afina.engine.training.spec import SPEC_FILE, RunSpec, apply_overrides, read_spec
from afina.tui.cli import main

BAD = [
    ("precision", "fp64", "must be one of auto, fp32, bf16, fp16"),
    ("gradient_checkpointing", "yes", "must be one of auto, on, off"),
    ("lr_scheduler", "cosine_with_min_lr", "must be one of linear, cosine"),
    ("launcher", "slurm", "must be one of local, accelerate"),
    ("learning_rate", 0.0, "must be above 0"),
    ("max_steps", -1, "must be at least 0"),
    ("batch_size", 0, "must be at least 1"),
    ("grad_accum", 0, "must be at least 1"),
    ("max_length", 8, "must be at least 16"),
    ("warmup_ratio", 1.5, r"must be in \[0, 1\]"),
    ("retrieval_share", -0.1, r"must be in \[0, 1\]"),
    ("replay_fraction", 1.0, r"must be in \[0, 1\)"),
    ("retrieval_k", 0, "must be at least 1"),
    ("eval_every", -5, "must be at least 0"),
    ("checkpoint_every", -1, "must be at least 0"),
    ("early_stopping_patience", -1, "must be at least 0"),
    ("keep_checkpoints", 0, "must be at least 1"),
    ("batch_size", "four", "must be a number"),
]


@pytest.mark.parametrize(("key", "value", "problem"), BAD)
def test_each_bad_value_names_its_key(key: str, value: object, problem: str) -> None:
    with pytest.raises(InvalidSetting, match=f"'train.{key}' {problem}") as e:
        TrainSettings(**{key: value})  # type: ignore[arg-type]
    assert e.value.key == f"train.{key}"
    assert isinstance(e.value, ConfigError)
    # dataclasses.replace goes through the same check
    with pytest.raises(InvalidSetting, match=f"'train.{key}'"):
        dataclasses.replace(TrainSettings(), **{key: value})  # type: ignore[arg-type]


def test_epochs_may_be_zero_only_with_a_step_count() -> None:
    with pytest.raises(InvalidSetting, match=r"'train.epochs' must be above 0 when max_steps is 0"):
        TrainSettings(epochs=0)
    assert TrainSettings(epochs=0, max_steps=10).max_steps == 10
    with pytest.raises(InvalidSetting, match=r"'train.epochs' must be at least 0"):
        TrainSettings(epochs=-1, max_steps=10)


def test_every_allowed_value_and_the_defaults_pass() -> None:
    TrainSettings()
    for p in PRECISIONS:
        TrainSettings(precision=p)
    for name in LR_SCHEDULERS:
        TrainSettings(lr_scheduler=name)
    for name in LAUNCHERS:
        TrainSettings(launcher=name)
    TrainSettings(warmup_ratio=0, retrieval_share=1, replay_fraction=0.5, max_length=16)


def test_the_schedulers_allowed_are_ones_transformers_knows() -> None:
    transformers = pytest.importorskip("transformers")
    known = {s.value for s in transformers.SchedulerType}
    assert set(LR_SCHEDULERS) <= known


def test_afina_toml_with_a_bad_value_names_the_file_and_key() -> None:
    with pytest.raises(InvalidSetting, match=r"^afina.toml: 'train.precision' must be one of"):
        parse_config("[train]\nprecision = 'fp64'\n")
    with pytest.raises(ConfigError, match=r"afina.toml: 'train.batch_size' must be at least 1"):
        parse_config("[train]\nbatch_size = 0\n")


def _spec_dir(tmp_path: Path) -> Path:
    spec = RunSpec("20260101-000000-abcd", "2026-01-01T00:00:00+00:00", TrainSettings())
    (tmp_path / SPEC_FILE).write_text(spec.to_toml(), encoding="utf-8")
    return tmp_path


def test_a_spec_edited_to_a_bad_value_fails_to_read_with_the_file_and_key(tmp_path: Path) -> None:
    run_dir = _spec_dir(tmp_path)
    assert read_spec(run_dir).settings == TrainSettings()
    path = run_dir / SPEC_FILE
    text = path.read_text()
    path.write_text(text.replace('precision = "auto"', 'precision = "fp64"'))
    with pytest.raises(InvalidSetting) as e:
        read_spec(run_dir)
    assert e.value.message.startswith(f"{path}: 'train.precision' must be one of auto, fp32")
    path.write_text(text.replace("batch_size = 4", 'batch_size = "four"'))
    with pytest.raises(ConfigError, match=re.escape(f"{path}: 'train.batch_size' must be a whole")):
        read_spec(run_dir)


def test_a_spec_keeps_reading_keys_it_does_not_know(tmp_path: Path) -> None:
    run_dir = _spec_dir(tmp_path)
    path = run_dir / SPEC_FILE
    path.write_text(path.read_text().replace("[train]\n", "[train]\nfrom_a_later_version = 1\n"))
    assert read_spec(run_dir).settings == TrainSettings()


def test_a_bad_override_names_the_set_it_came_from() -> None:
    with pytest.raises(InvalidSetting) as e:
        apply_overrides(TrainSettings(), ["epochs=2", "precision=fp64"])
    assert e.value.message.startswith("--set precision=fp64: 'train.precision' must be one of")
    # A check across keys names every --set when none gave the key it names.
    with pytest.raises(InvalidSetting, match=r"^--set max_steps=0: 'train.epochs' must be above"):
        apply_overrides(TrainSettings(epochs=0, max_steps=5), ["max_steps=0"])


def test_cli_train_with_a_bad_set_exits_naming_the_key_and_makes_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "w"
    assert main(["init", str(ws)]) == 0
    capsys.readouterr()
    assert main(["-w", str(ws), "train", "--set", "precision=fp64"]) == 2
    err = capsys.readouterr().err
    assert "--set precision=fp64" in err and "'train.precision' must be one of" in err
    assert not (ws / "runs").exists() or not any((ws / "runs").iterdir())
