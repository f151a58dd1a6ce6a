"""Recommended training settings: what a run uses for every setting the person left out,
chosen from the training pairs, the base model's size and the hardware, each with its reason.

Most people never change a setting, so these are the product. They were chosen by
measurement on more than one domain (benchmarks/RESULTS.md, "Defaults that find the best
assistant"): on small data a 135M model needs adapters on every linear layer, a learning rate
near 1e-3 and about five passes, where the old defaults (q/v at r=8, 2e-4) barely moved it.
Larger models take smaller rates; larger data sets take fewer passes.

Pure functions over plain numbers, so every rule is tested without a model.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from afina.engine.config import TrainSettings

# Methods whose rate and options these rules know; others keep their settings as given.
ADAPTERS = ("lora", "qlora")
FULL = "full"
LORA_OPTIONS = {"r": 16, "alpha": 32, "target_modules": "all-linear"}
BATCH = 8
# Passes over a small data set: on the clinic domain five passes instead of three lowered the
# validation loss from 1.74 to 1.45 and raised ft+rag from 0.31 to 0.34 ROUGE-L (RESULTS.md).
TARGET_EPOCHS = 5.0
ONE_PASS_AT = 3000  # pairs from which one pass is enough
MIN_STEPS = 60  # a few dozen pairs still need this many updates to move the model
MAX_STEPS = {"cpu": 600, "cuda": 5000}  # about half an hour of a small model on a laptop CPU
SMALL_MODEL = 135_000_000  # a model whose size cannot be read is taken as the embedded one
RETRIEVAL_SHARE = 0.5
RETRIEVAL_K = 2
# The [train] settings these rules choose when left out (epochs and max_steps together).
CHOSEN = ("learning_rate", "batch_size", "epochs", "max_steps", "retrieval_share", "retrieval_k")


@dataclass(frozen=True)
class DataShape:
    """What the rules look at: the training pairs, the model and the machine."""

    train_pairs: int
    params: int  # the base model's parameters (an estimate from its config is enough)
    device: str  # "cpu" or "cuda"
    has_index: bool  # the index a run retrieves from exists


@dataclass(frozen=True)
class Recommended:
    settings: TrainSettings
    method_options: dict[str, Any]
    reasons: tuple[str, ...]  # one line per setting: its value and why


def learning_rate(method: str, params: int) -> float | None:
    """The peak rate for ``method`` on a model of ``params``; None: no rule for the method."""
    if method in ADAPTERS:
        for limit, rate in ((0.6e9, 1e-3), (2.5e9, 5e-4), (15e9, 2e-4)):
            if params <= limit:
                return rate
        return 1e-4
    if method == FULL:
        return 1e-4 if params <= 0.6e9 else 2e-5
    return None


def steps(train_pairs: int, batch: int, device: str) -> tuple[int, float]:
    """Optimizer steps for ``train_pairs`` at ``batch``, and the passes over the data they make."""
    per_epoch = max(1, math.ceil(train_pairs / batch))
    epochs = TARGET_EPOCHS if train_pairs <= ONE_PASS_AT / TARGET_EPOCHS else 1.0
    if ONE_PASS_AT / TARGET_EPOCHS < train_pairs < ONE_PASS_AT:
        epochs = ONE_PASS_AT / train_pairs  # from five passes at 600 pairs to one at 3000
    total = max(MIN_STEPS, round(epochs * per_epoch))
    total = min(total, MAX_STEPS.get(device, MAX_STEPS["cpu"]))
    return total, total / per_epoch


def _size(params: int) -> str:
    return f"{params / 1e9:.1f}B" if params >= 1e9 else f"{params / 1e6:.0f}M"


def recommend(
    settings: TrainSettings,
    options: Mapping[str, Any],
    given: Collection[str],
    given_options: Collection[str],
    shape: DataShape,
) -> Recommended:
    """``settings`` and ``options`` with every key not in ``given`` (settings the person set)
    or ``given_options`` (method options they set) replaced by the recommended value."""
    changes: dict[str, Any] = {}
    reasons: list[str] = []
    method = settings.method

    def choose(key: str, value: Any, why: str) -> None:
        if key in given:
            reasons.append(
                f"{key} = {getattr(settings, key)!r} (set by you; recommended {value!r})"
            )
            return
        changes[key] = value
        reasons.append(f"{key} = {value!r}: {why}")

    rate = learning_rate(method, shape.params)
    if rate is not None:
        choose("learning_rate", rate, f"{method} on a {_size(shape.params)}-parameter model")
    batch = settings.batch_size if "batch_size" in given else BATCH
    choose("batch_size", BATCH, "small models learn fastest per second with small batches")
    if "max_steps" in given or "epochs" in given:
        reasons.append("steps: as you set them (epochs or max_steps)")
    else:
        total, passes = steps(shape.train_pairs, batch, shape.device)
        choose(
            "max_steps",
            total,
            f"{passes:.1f} passes over {shape.train_pairs} training pairs at batch {batch}"
            + (" (capped for this device)" if total == MAX_STEPS.get(shape.device) else ""),
        )
    if method in ADAPTERS or method == FULL:
        if shape.has_index:
            choose(
                "retrieval_share",
                RETRIEVAL_SHARE,
                f"half the training prompts carry the {RETRIEVAL_K} nearest pairs from index "
                f"'{settings.retrieval_index}', as ft+rag answers with them",
            )
            choose("retrieval_k", RETRIEVAL_K, "two retrieved pairs keep training steps short")
        elif "retrieval_share" not in given:
            reasons.append(
                f"retrieval_share = {settings.retrieval_share!r}: no index "
                f"'{settings.retrieval_index}' yet; `afina index build` before training "
                "teaches the fine-tune to use retrieved pairs (the ft+rag assistant)"
            )
    out_options = dict(options)
    if method in ADAPTERS:
        for key, value in LORA_OPTIONS.items():
            if key in given_options:
                reasons.append(f"{method} {key} = {options.get(key)!r} (set by you)")
                continue
            out_options[key] = value
            reasons.append(
                f"{method} {key} = {value!r}: adapters on every linear layer learn a small "
                "domain in a hundred steps where q/v alone barely start"
            )
    return Recommended(dataclasses.replace(settings, **changes), out_options, tuple(reasons))


def estimate_params(config: Any) -> int:
    """A decoder's parameter count from its config (embeddings, attention and MLP)."""
    h = int(getattr(config, "hidden_size", 0) or 0)
    layers = int(getattr(config, "num_hidden_layers", 0) or 0)
    inter = int(getattr(config, "intermediate_size", 0) or 4 * h)
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    return layers * (4 * h * h + 3 * h * inter) + vocab * h
