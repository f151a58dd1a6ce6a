"""transformers' Trainer with a loss that spends no compute on logits that carry no loss.

A causal LM projects every position onto the vocabulary (49k entries for SmolLM2, a fifth of
its compute), then the loss throws away all but the answer's positions. Here the decoder's
hidden states are taken, the answer's positions picked out, and only those go through the
output layer and the cross-entropy. Same loss, less work and much less memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from transformers import Trainer

from afina.engine.training.batching import LengthGroupedOrder
from afina.engine.training.data import IGNORE


def _causal_lm(model: Any) -> Any:
    """The transformers model inside a PEFT wrapper (LoRA layers are injected in place)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def answer_loss(model: Any, inputs: dict[str, Any], num_items: Any = None) -> Any:
    import torch.nn.functional as F

    lm = _causal_lm(model)
    hidden = lm.get_decoder()(
        input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
    ).last_hidden_state
    targets = inputs["labels"][:, 1:]
    keep = targets != IGNORE
    logits = lm.get_output_embeddings()(hidden[:, :-1][keep]).float()
    loss = F.cross_entropy(logits, targets[keep], reduction="sum")
    denom = num_items if num_items is not None else keep.sum()
    return loss / denom.to(loss.device) if hasattr(denom, "to") else loss / denom


class AnswerTrainer(Trainer):
    """Trainer with the answer-only loss (where the method keeps positions and the run is a
    single process: under DDP the forward must go through the wrapper) and a length-grouped
    order that depends only on (seed, epoch)."""

    def __init__(self, *args: Any, fast_loss: bool, lengths: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_loss = fast_loss and self.args.world_size == 1
        self._lengths = list(lengths)

    def compute_loss(
        self,
        model: Any,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: Any = None,
    ) -> Any:
        if self.fast_loss:
            loss = answer_loss(model, inputs, num_items_in_batch)
            return (loss, {"loss": loss}) if return_outputs else loss
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        return LengthGroupedOrder(
            self._lengths,
            self.args.per_device_train_batch_size * self.args.gradient_accumulation_steps,
            self.args.seed,
        )
