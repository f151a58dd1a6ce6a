"""A run's spec: everything the runner needs, written once to ``runs/<id>/spec.toml``.

The spec is the run's only input, so a run folder can reproduce itself: the hyperparameters,
the method and its options, the base model, and the data files copied into the run. It holds
no absolute path: every file it names is relative to the run folder, so the folder can be
copied to another machine and run there. (Older specs named their workspace; that key is
ignored.)
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afina.engine.config import TrainSettings, build_settings
from afina.engine.errors import ConfigError, InvalidSetting, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_FILE = "spec.toml"
_FIELDS = {f.name: f for f in dataclasses.fields(TrainSettings)}


@dataclass(frozen=True)
class RunSpec:
    id: str
    created: str  # ISO time
    settings: TrainSettings
    method_options: dict[str, Any] = field(default_factory=dict)
    train_file: str = "data/pairs.train.jsonl"
    validation_file: str = "data/pairs.validation.jsonl"
    examples: int = 0  # training examples after preparation, for progress estimates
    # The system message every training prompt starts with, and every assistant of this run
    # answers with; "" (older runs): the chat template's default.
    system_prompt: str = ""

    def to_toml(self) -> str:
        import tomli_w

        settings = {k: v for k, v in dataclasses.asdict(self.settings).items() if k != "options"}
        data = {
            "run": {
                "id": self.id,
                "created": self.created,
                "train_file": self.train_file,
                "validation_file": self.validation_file,
                "examples": self.examples,
                "system_prompt": self.system_prompt,
            },
            "train": settings,
            "method_options": self.method_options,
        }
        return tomli_w.dumps(data)


def read_spec(run_dir: Path) -> RunSpec:
    path = run_dir / SPEC_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the run's spec ({e.strerror})") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    run = data.get("run", {})
    train = data.get("train", {})
    # Keys this version does not know are skipped (a spec from another version still reads);
    # the known ones are checked as afina.toml's are, so an edited spec fails here, by name.
    known = {k: v for k, v in train.items() if k in _FIELDS} if isinstance(train, dict) else train
    settings = build_settings(TrainSettings, known, str(path), "train")
    return RunSpec(
        id=run["id"],
        created=run["created"],
        settings=settings,
        method_options=dict(data.get("method_options", {})),
        train_file=run.get("train_file", RunSpec.train_file),
        validation_file=run.get("validation_file", RunSpec.validation_file),
        examples=int(run.get("examples", 0)),
        system_prompt=str(run.get("system_prompt", "")),
    )


def apply_overrides(settings: TrainSettings, pairs: list[str]) -> TrainSettings:
    """``KEY=VALUE`` strings from the command line over the workspace's [train] settings;
    a value the settings refuse names the --set it came from."""
    changes: dict[str, Any] = {}
    given: dict[str, str] = {}
    for item in pairs:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in _FIELDS or key == "options":
            known = ", ".join(k for k in _FIELDS if k != "options")
            raise UsageError(f"--set {item!r}: expected KEY=VALUE with KEY one of: {known}")
        changes[key] = _parse(key, raw.strip())
        given[key] = item
    try:
        return dataclasses.replace(settings, **changes)
    except InvalidSetting as e:
        # A check across keys (epochs when max_steps is 0) may name a key no --set gave.
        culprit = given.get(e.key.rpartition(".")[2])
        raise e.at(f"--set {culprit}" if culprit else "--set " + ", --set ".join(pairs)) from None


def _parse(key: str, raw: str) -> Any:
    default = getattr(TrainSettings(), key)
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as e:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise UsageError(f"--set {key}={raw}: {key} must be {kind}") from e
    return raw
