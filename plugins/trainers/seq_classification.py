"""Sequence classification: LoRA on a classification head, for labelled text (intent, topic,
sentiment); reports accuracy and macro precision, recall and F1 on a held-out share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.plugins import Option
from afina.engine.training.classify import CLASSIFY_OPTIONS, ClassifyMethod
from afina.engine.training.contract import ADAPTER
from afina.plugins.trainers.lora import LORA_OPTIONS, lora_config


class SeqClassificationMethod(ClassifyMethod):
    name: ClassVar[str] = "seq-classification"
    description: ClassVar[str] = (
        "LoRA with a classification head, for labelled text (accuracy, precision, recall, F1)"
    )
    options: ClassVar[tuple[Option, ...]] = LORA_OPTIONS + CLASSIFY_OPTIONS
    capabilities: ClassVar[frozenset[str]] = frozenset({ADAPTER})

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import TaskType, get_peft_model

        config = lora_config(options)
        # PEFT's sequence-classification task trains and saves the new head in full beside
        # the adapter (modules_to_save: "score" for Llama-like models, "classifier" for others).
        config.task_type = TaskType.SEQ_CLS
        return get_peft_model(model, config)
