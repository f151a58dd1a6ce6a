"""Full fine-tuning: every weight of the base model trains, and the result is a whole model.

Needs about 16 bytes a parameter for weights, gradients and Adam's moments in fp32 (2 GiB for
a 135M model), so it suits small models; the recipe turns on gradient checkpointing when the
memory is tight.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from afina.engine.plugins import Option
from afina.engine.training.contract import SAME_POSITIONS, TrainMethod


class FullMethod(TrainMethod):
    name: ClassVar[str] = "full"
    description: ClassVar[str] = "Full fine-tuning: every weight trains; saves a whole model"
    options: ClassVar[tuple[Option, ...]] = ()
    capabilities: ClassVar[frozenset[str]] = frozenset({SAME_POSITIONS})

    def wrap(self, model: Any, options: Mapping[str, Any]) -> Any:
        model.requires_grad_(True)
        return model
