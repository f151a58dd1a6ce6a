"""QLoRA: LoRA adapters over a base model quantized to 4-bit NF4 (bitsandbytes, CUDA only).

The base weights take about a quarter of their fp16 memory; the adapters train in full
precision. The adapter that comes out is an ordinary LoRA adapter.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.errors import UsageError
from afina.engine.plugins import Option
from afina.engine.training.contract import ADAPTER, NEEDS_CUDA, SAME_POSITIONS, TrainMethod
from afina.engine.training.hardware import Hardware
from afina.plugins.trainers.lora import LORA_OPTIONS, lora_config


class QLoraMethod(TrainMethod):
    name: ClassVar[str] = "qlora"
    description: ClassVar[str] = "LoRA over a 4-bit NF4 base model (bitsandbytes; CUDA GPU only)"
    options: ClassVar[tuple[Option, ...]] = LORA_OPTIONS
    capabilities: ClassVar[frozenset[str]] = frozenset({NEEDS_CUDA, ADAPTER, SAME_POSITIONS})

    def check(self, hw: Hardware, options: Mapping[str, Any]) -> None:
        missing = []
        if hw.device != "cuda":
            missing.append(f"this machine has no CUDA GPU (device: {hw.device})")
        if importlib.util.find_spec("bitsandbytes") is None:
            missing.append("bitsandbytes is not installed")
        if missing:
            raise UsageError(
                "qlora needs a CUDA GPU and bitsandbytes: " + "; ".join(missing),
                "on this machine use method = 'lora' (`afina train --method lora`); on a GPU "
                "machine `pip install bitsandbytes`",
            )

    def load(self, base: str | None, options: Mapping[str, Any], dtype: Any) -> Any:
        import torch
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig

        from afina.engine.models import resolve
        from afina.engine.training.hardware import detect

        self.check(detect(), options)  # a clear error, not a bitsandbytes traceback
        compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        quant = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        # Each process of a distributed run holds its own copy on its own GPU.
        device = int(os.environ.get("LOCAL_RANK", "0") or 0)
        return AutoModelForCausalLM.from_pretrained(
            resolve(base), quantization_config=quant, dtype=dtype, device_map={"": device}
        )

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        from peft import get_peft_model, prepare_model_for_kbit_training

        # The recipe has already chosen gradient checkpointing for this hardware; keep its word.
        # (transformers 5 renamed the property; 4.x has only the old name.)
        on = getattr(model, "is_activation_checkpointing", None)
        if on is None:
            on = getattr(model, "is_gradient_checkpointing", False)
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=bool(on),
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
        return get_peft_model(model, lora_config(options))
