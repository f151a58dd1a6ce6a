"""The small PEFT methods: IA3 (learned rescaling vectors), prompt tuning (learned virtual
input tokens) and prefix tuning (learned keys and values in every attention layer).

Only IA3 keeps the fast answer-only loss: prompt tuning puts virtual tokens in front of the
input, and prefix tuning feeds its keys and values through the PEFT wrapper's forward, which
the fast loss (it calls the decoder directly) would skip. Those two use the standard loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.errors import UsageError
from afina.engine.plugins import Option
from afina.engine.training.contract import ADAPTER, SAME_POSITIONS, TrainMethod, target_modules
from afina.engine.training.hardware import Hardware


def _ia3_modules(options: Mapping[str, Any]) -> tuple[Any, Any]:
    """(target_modules, feedforward_modules) for IA3Config; None: PEFT's defaults."""
    targets = target_modules(str(options["target_modules"]))
    raw = str(options["feedforward_modules"]).strip()
    if isinstance(targets, list) and raw in ("", "auto"):
        raise UsageError(
            "ia3: with target_modules named, feedforward_modules must be named too",
            "give the feed-forward ones among them (for Llama: down_proj), or 'none'",
        )
    return targets, ([] if raw == "none" else target_modules(raw))


class IA3Method(TrainMethod):
    name: ClassVar[str] = "ia3"
    description: ClassVar[str] = "IA3: learned scaling vectors on attention and feed-forward (PEFT)"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "target_modules",
            "str",
            "auto",
            "layers to rescale: auto (per-architecture defaults: k, v and down projections for "
            "Llama), all-linear, or names separated by commas",
        ),
        Option(
            "feedforward_modules",
            "str",
            "auto",
            "which of those are feed-forward layers (their input is scaled, not their output): "
            "auto (per-architecture defaults), none, or names separated by commas",
        ),
    )
    capabilities: ClassVar[frozenset[str]] = frozenset({SAME_POSITIONS, ADAPTER})

    def check(self, hw: Hardware, options: Mapping[str, Any]) -> None:
        _ia3_modules(options)

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import IA3Config, TaskType, get_peft_model

        targets, feedforward = _ia3_modules(options)
        config = IA3Config(
            task_type=TaskType.CAUSAL_LM,
            target_modules=targets,
            feedforward_modules=feedforward,
        )
        return get_peft_model(model, config)


class PromptTuningMethod(TrainMethod):
    name: ClassVar[str] = "prompt-tuning"
    description: ClassVar[str] = "Prompt tuning: learned virtual tokens before every input (PEFT)"
    options: ClassVar[tuple[Option, ...]] = (
        Option("num_virtual_tokens", "int", 20, "how many virtual tokens to learn"),
        Option(
            "init_text",
            "str",
            "",
            "text whose token embeddings start the virtual tokens (e.g. a description of the "
            "task); empty: embeddings of tokens drawn from the vocabulary",
        ),
    )
    # Not SAME_POSITIONS: the virtual tokens shift every input position.
    capabilities: ClassVar[frozenset[str]] = frozenset({ADAPTER})

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model

        text = str(options["init_text"]).strip()
        config = PromptTuningConfig(
            task_type=TaskType.CAUSAL_LM,
            num_virtual_tokens=int(options["num_virtual_tokens"]),
            prompt_tuning_init=PromptTuningInit.TEXT if text else PromptTuningInit.SAMPLE_VOCAB,
            prompt_tuning_init_text=text or None,
            # The base model's own folder: PEFT loads its tokenizer to encode init_text.
            tokenizer_name_or_path=getattr(model, "name_or_path", None) if text else None,
        )
        return get_peft_model(model, config)


class PrefixTuningMethod(TrainMethod):
    name: ClassVar[str] = "prefix-tuning"
    description: ClassVar[str] = "Prefix tuning: learned keys and values in every layer (PEFT)"
    options: ClassVar[tuple[Option, ...]] = (
        Option("num_virtual_tokens", "int", 20, "how many prefix positions to learn per layer"),
        Option(
            "projection",
            "bool",
            False,
            "learn the prefix through a small two-layer network (steadier, more parameters "
            "while training; the saved adapter is the same size)",
        ),
    )
    # Not SAME_POSITIONS: the input positions are unchanged, but the prefix reaches the model
    # through the PEFT wrapper's forward, which the fast answer-only loss goes around.
    capabilities: ClassVar[frozenset[str]] = frozenset({ADAPTER})

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import PrefixTuningConfig, TaskType, get_peft_model

        config = PrefixTuningConfig(
            task_type=TaskType.CAUSAL_LM,
            num_virtual_tokens=int(options["num_virtual_tokens"]),
            prefix_projection=bool(options["projection"]),
        )
        return get_peft_model(model, config)
