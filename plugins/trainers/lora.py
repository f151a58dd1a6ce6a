"""LoRA: low-rank adapters on chosen linear layers; the base model stays frozen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.plugins import Option
from afina.engine.training.contract import ADAPTER, SAME_POSITIONS, TrainMethod, target_modules

LORA_OPTIONS: tuple[Option, ...] = (
    Option("r", "int", 8, "rank of the low-rank update"),
    Option("alpha", "int", 16, "scaling numerator: the update is scaled by alpha / r"),
    Option("dropout", "float", 0.05, "dropout on the adapter's input"),
    Option(
        "target_modules",
        "str",
        "auto",
        "layers to adapt: auto (per-architecture defaults, q/v projections for Llama), "
        "all-linear, or names separated by commas",
    ),
)


def lora_config(options: Mapping[str, Any]) -> Any:
    from peft import LoraConfig, TaskType

    return LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=int(options["r"]),
        lora_alpha=int(options["alpha"]),
        lora_dropout=float(options["dropout"]),
        target_modules=target_modules(str(options["target_modules"])),
    )


class LoraMethod(TrainMethod):
    name: ClassVar[str] = "lora"
    description: ClassVar[str] = "LoRA adapters on the chosen linear layers (PEFT)"
    options: ClassVar[tuple[Option, ...]] = LORA_OPTIONS
    capabilities: ClassVar[frozenset[str]] = frozenset({SAME_POSITIONS, ADAPTER})

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import get_peft_model

        return get_peft_model(model, lora_config(options))
