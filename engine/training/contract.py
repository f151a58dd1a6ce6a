"""The trainer contract: a fine-tuning method (lora, ia3, full ...) registered by name.

A method loads the base model for its needs (4-bit for qlora), wraps it (a PEFT adapter, or
nothing for full fine-tuning) and declares its options so a UI can draw its form. The recipe
does the rest, the same for every method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.plugins import Plugin
from afina.engine.training.hardware import Hardware

# Capability flags a method may declare.
# The model's inputs reach it unchanged (no virtual tokens), so the loss can be computed on the
# answer's positions alone, skipping the vocabulary projection of every other token.
SAME_POSITIONS = "same-positions"
NEEDS_CUDA = "needs-cuda"
ADAPTER = "adapter"  # saves a small adapter beside the base model, not full weights

CAUSAL_LM = "causal-lm"
SEQ_CLASSIFICATION = "seq-classification"


class TrainMethod(Plugin):
    kind: ClassVar[str] = "trainer"
    task: ClassVar[str] = CAUSAL_LM

    def check(self, hw: Hardware, options: Mapping[str, Any]) -> None:
        """Raise an AfinaError, with what to do instead, if this machine cannot run the method."""

    def load(self, base: str | None, options: Mapping[str, Any], dtype: Any) -> Any:
        from afina.engine.models import load_causal_lm

        return load_causal_lm(base, dtype=dtype)

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        """The model to train; the default trains every weight."""
        return model


def trainable_parameters(model: Any) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def target_modules(raw: str) -> list[str] | str | None:
    """ "auto": PEFT's per-architecture defaults (q_proj and v_proj for Llama-like models);
    "all-linear"; or a comma-separated list of module names."""
    raw = raw.strip()
    if raw in ("", "auto"):
        return None
    if raw == "all-linear":
        return raw
    return [m.strip() for m in raw.split(",") if m.strip()]
