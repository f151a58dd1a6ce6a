"""afina.toml: typed, validated workspace settings. An unknown key is an error that names it."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast, get_type_hints

from afina.engine.errors import ConfigError, InvalidSetting

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_T = TypeVar("_T")


@dataclass(frozen=True)
class WorkspaceSettings:
    name: str = "my-assistant"


@dataclass(frozen=True)
class ImportSettings:
    max_zip_member_mib: int = 2048
    # Per-importer option defaults, e.g. {"whatsapp": {"date_order": "dmy"}}; checked against
    # each importer's declared options when it runs.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class CurateSettings:
    # Values the personal-data scrubber leaves alone: the business's own phone, e-mail...
    pii_allow: tuple[str, ...] = ()
    # Options per cleaning rule, e.g. {"language": {"allowed": ["pt", "en"]}}; checked
    # against the rules' declared options when curation runs.
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class AssistantSettings:
    # The system message of the fine-tune's training prompts and of every assistant; empty:
    # afina suggests one naming the business (`afina train --dry-run` shows it).
    system_prompt: str = ""


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
GRADIENT_CHECKPOINTING = ("auto", "on", "off")
# transformers' scheduler names that need no arguments beyond warm-up and the step count (the
# recipe passes only those): cosine_with_min_lr, warmup_stable_decay and reduce_lr_on_plateau
# would fail inside the runner for want of theirs.
LR_SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
)
# Where a run can execute. This floor cannot import afina.engine.launch, so the names are kept
# here: the launch registry must register exactly these, and a new launcher adds its name.
LAUNCHERS = ("local", "accelerate")
MIN_MAX_LENGTH = 16  # fewer tokens hold no prompt and answer under any chat template


@dataclass(frozen=True)
class TrainSettings:
    """Fine-tuning hyperparameters; `afina train --set KEY=VALUE` overrides any of them.

    Checked when made (from afina.toml, a run's spec.toml, --set or dataclasses.replace): a bad
    value is an :class:`InvalidSetting` naming its key before any data or model is touched.
    """

    base_model: str = "smollm2-135m-instruct"
    method: str = "lora"
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.05
    epochs: float = 3.0
    max_steps: int = 0  # 0: run for `epochs`
    batch_size: int = 4
    grad_accum: int = 1
    weight_decay: float = 0.0
    max_length: int = 512
    seed: int = 42
    eval_every: int = 25  # steps; 0 turns evaluation off
    early_stopping_patience: int = 0  # evaluations without a better validation loss; 0: off
    checkpoint_every: int = 25
    keep_checkpoints: int = 2
    precision: str = "auto"  # auto, fp32, bf16, fp16
    gradient_checkpointing: str = "auto"  # auto, on, off
    replay_data: str = ""  # a general instruction file or dataset id mixed in against forgetting
    replay_fraction: float = 0.0
    # A share of the training prompts carries the top-k pairs retrieved from the workspace
    # index, as ft+rag prompts do, so the fine-tune learns to use retrieved context.
    retrieval_share: float = 0.0
    retrieval_k: int = 3
    retrieval_index: str = "default"
    launcher: str = "local"  # local, accelerate
    accelerate_config: str = ""
    # Options per training method, e.g. {"lora": {"r": 16}}; checked against the method's
    # declared options when a run starts.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _one_of("precision", self.precision, PRECISIONS)
        _one_of("gradient_checkpointing", self.gradient_checkpointing, GRADIENT_CHECKPOINTING)
        _one_of("lr_scheduler", self.lr_scheduler, LR_SCHEDULERS)
        _one_of("launcher", self.launcher, LAUNCHERS)
        _above("learning_rate", self.learning_rate, 0)
        _at_least("max_steps", self.max_steps, 0)
        if self.max_steps == 0:
            _above("epochs", self.epochs, 0, " when max_steps is 0")
        else:
            _at_least("epochs", self.epochs, 0)
        for key in ("batch_size", "grad_accum", "keep_checkpoints", "retrieval_k"):
            _at_least(key, getattr(self, key), 1)
        _at_least("max_length", self.max_length, MIN_MAX_LENGTH)
        for key in ("eval_every", "checkpoint_every", "early_stopping_patience", "weight_decay"):
            _at_least(key, getattr(self, key), 0)
        _share("warmup_ratio", self.warmup_ratio, closed=True)
        _share("retrieval_share", self.retrieval_share, closed=True)
        # A replay share of 1 would leave no room for the workspace's own pairs.
        _share("replay_fraction", self.replay_fraction, closed=False)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidSetting(f"train.{key}", f"must be a number, got {value!r}")
    return float(value)


def _one_of(key: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidSetting(f"train.{key}", f"must be one of {', '.join(allowed)}; got {value!r}")


def _above(key: str, value: Any, low: float, when: str = "") -> None:
    if not _number(key, value) > low:
        raise InvalidSetting(f"train.{key}", f"must be above {low}{when}; got {value!r}")


def _at_least(key: str, value: Any, low: float) -> None:
    if not _number(key, value) >= low:
        raise InvalidSetting(f"train.{key}", f"must be at least {low}; got {value!r}")


def _share(key: str, value: Any, closed: bool) -> None:
    v = _number(key, value)
    if not (0 <= v <= 1 if closed else 0 <= v < 1):
        span = "[0, 1]" if closed else "[0, 1)"
        raise InvalidSetting(f"train.{key}", f"must be in {span}; got {value!r}")


@dataclass(frozen=True)
class Config:
    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    import_: ImportSettings = field(default_factory=ImportSettings)
    curate: CurateSettings = field(default_factory=CurateSettings)
    assistant: AssistantSettings = field(default_factory=AssistantSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    # The [train] keys afina.toml sets itself: the others are recommended from the data and
    # the hardware when a run is made (engine.training.recommend).
    train_keys: frozenset[str] = field(default=frozenset(), metadata={"toml": False})


# TOML names that are Python keywords get a trailing underscore in the dataclasses.
_TOML_NAME = {"import_": "import"}

DEFAULT_TOML = """\
# afina workspace settings. Every key is checked: a key afina does not know is an error.

[workspace]
# The business this assistant answers for (`afina init --name`). The TUI shows it, and the
# suggested system prompt names it ([assistant] system_prompt).
name = "my-assistant"

[import]
# Largest file accepted inside a zip archive, in MiB. A bigger member, or one that expands
# more than 200x its compressed size, is refused as a possible zip bomb.
max_zip_member_mib = 2048

# Default options per importer (`afina plugins --verbose` lists each importer's options);
# `afina import --option KEY=VALUE` overrides them for one run. For example:
# [import.options.whatsapp]
# date_order = "dmy"
# [import.options.csv]
# text = "message"
# speaker = "author"

[curate]
# Values the personal-data scrubber leaves alone, such as the business's own phone number,
# e-mail and the name its chat account shows (else "Lumiar Fibra" becomes a person's name
# placeholder wherever it is written), which the assistant should learn:
# ["(48) 3000-5821", "support@example.com", "Lumiar Fibra"].
pii_allow = []

# Options for the cleaning rules `afina curate` runs, one table per rule (normalize,
# placeholders, urls, templates, boilerplate, trivial, length, language); `enabled = false`
# turns one off:
# [curate.rules.language]
# allowed = ["pt", "en"]
# [curate.rules.urls]
# mode = "replace"

[assistant]
# The system message the fine-tune trains with and every assistant answers with. Left empty,
# afina suggests one that names the business (from [curate] pii_allow or [workspace] name);
# `afina train --dry-run` shows it. For example:
# system_prompt = "You are the support assistant of Lumiar Fibra. Answer briefly and accurately."
system_prompt = ""

[train]
# A setting left out here is chosen when a run is made, from the pairs, the model's size and
# the hardware; `afina train --dry-run` says what was chosen and why. Set one to fix it.
# The base model: the embedded default, a local folder, or a Hugging Face id already in the
# cache (`afina models` lists what loads offline).
base_model = "smollm2-135m-instruct"
# The training method: lora, qlora, ia3, prompt-tuning, prefix-tuning, full (`afina plugins`).
method = "lora"
# Peak learning rate, reached after warm-up and then decayed (cosine).
# learning_rate = 1e-3
# Passes over the training pairs (max_steps = N stops after N optimizer steps instead).
# epochs = 3
# Pairs per step; grad_accum = N adds N steps' gradients before each update.
# batch_size = 8
# Tokens per pair; longer pairs lose their earliest context first, then are dropped.
max_length = 512
# Seeds the data order, the adapter's initial weights and dropout: same seed, same run.
seed = 42
# Steps between validation losses (0: off); early_stopping_patience = N stops after N
# evaluations without a better one.
eval_every = 25
# Steps between resumable checkpoints, and how many of the newest to keep.
checkpoint_every = 25
# How many complete checkpoints to keep on disk.
keep_checkpoints = 2
# precision = "auto" picks fp32 on CPUs without fast bf16; gradient_checkpointing = "auto"
# turns it on only when memory is tight.
# Mix a general instruction dataset into training against forgetting:
# replay_data = "general.jsonl"
# replay_fraction = 0.1
# Show a share of training prompts with retrieved pairs (from `afina index build`), as the
# ft+rag assistant sees them, so the fine-tune learns to use them (chosen when an index
# exists; 0 turns it off):
# retrieval_share = 0.5
# retrieval_k = 2
# Options per method (`afina plugins --verbose` lists them; r, alpha and target_modules of
# lora and qlora are chosen when left out):
# [train.options.lora]
# r = 16
# alpha = 32
"""


def parse_config(text: str, origin: str = "afina.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{origin}: not valid TOML: {e}") from e
    config = _build(Config, data, origin, "")
    train = data.get("train", {})
    return dataclasses.replace(
        config, train_keys=frozenset(train if isinstance(train, dict) else ())
    )


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text") from e
    return parse_config(text, str(path))


def build_settings(cls: type[_T], table: Any, origin: str, prefix: str) -> _T:
    """One settings dataclass from its TOML table, each key's type and value checked; errors
    name ``origin`` (the file) and the dotted key under ``prefix``."""
    return cast(_T, _build(cls, table, origin, prefix))


def _build(cls: type, table: Any, origin: str, prefix: str) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [{prefix}] must be a table")
    hints = get_type_hints(cls)
    by_toml = {
        _TOML_NAME.get(f.name, f.name): f
        for f in dataclasses.fields(cls)
        if f.metadata.get("toml", True)
    }
    values: dict[str, Any] = {}
    for key, raw in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in by_toml:
            known = ", ".join(sorted(by_toml))
            raise ConfigError(f"{origin}: unknown key '{dotted}'", f"known here: {known}")
        f = by_toml[key]
        values[f.name] = _value(hints[f.name], raw, origin, dotted)
    try:
        return cls(**values)
    except InvalidSetting as e:
        raise e.at(origin) from None


_EXPECTED: dict[Any, type | tuple[type, ...]] = {
    str: str,
    int: int,
    float: (int, float),
    bool: bool,
}
_KIND = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _value(hint: Any, raw: Any, origin: str, dotted: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, raw, origin, dotted)  # type: ignore[arg-type]
    origin_type = getattr(hint, "__origin__", hint)
    if origin_type is tuple:
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ConfigError(f"{origin}: '{dotted}' must be a list of text values")
        return tuple(raw)
    if origin_type is dict:
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise ConfigError(f"{origin}: '{dotted}' must hold one table per name")
        return raw
    expected = _EXPECTED[origin_type]
    # bool is an int in Python, but `true` is not a valid size in a config file.
    if not isinstance(raw, expected) or (origin_type is not bool and isinstance(raw, bool)):
        raise ConfigError(f"{origin}: '{dotted}' must be {_KIND[origin_type]}, got {raw!r}")
    if isinstance(raw, (int, float)) and raw < 0:
        raise ConfigError(f"{origin}: '{dotted}' must not be negative, got {raw}")
    return raw
