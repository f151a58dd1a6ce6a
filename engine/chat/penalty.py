"""The repetition penalty of greedy decoding, sparing the tokens that numbers are made of.

A small model decoded greedily falls into loops ("E que? E que? ...") unless the tokens it has
already written are penalised. transformers' penalty weighs on every such token, and the
digits and separators of a price, a time or a phone number repeat by nature: "(41) 3022-5180"
repeats "0", "2" and the brackets, "8:00 às 19:00" its ":" and zeros. Here the penalty is
transformers' own, undone afterwards for tokens made only of digits and the punctuation
numbers are written with, so an answer recites figures as it learned them and still cannot
loop on words.
"""

from __future__ import annotations

import functools
from typing import Any

# What a number is written with: "R$ 1.234,56", "(41) 3022-5180", "8:00-19:00", "50%", "+55".
NUMBER_CHARS = frozenset("0123456789.,:;-/()$%+ ")


def number_token(text: str) -> bool:
    """Whether a token's text is made only of digits, the punctuation of numbers and blank
    space (the tokenizer writes the space in "R$ 99" as a token of its own)."""
    return all(c in NUMBER_CHARS or c.isspace() for c in text)


@functools.lru_cache(maxsize=8)
def _spared_ids(tokenizer: Any) -> tuple[int, ...]:
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    return tuple(i for i, text in enumerate(texts) if number_token(text))


def spared_mask(tokenizer: Any, vocab_size: int) -> Any:
    """A boolean tensor over ``vocab_size`` ids, true where the penalty is undone."""
    import torch

    mask = torch.zeros(vocab_size, dtype=torch.bool)
    ids = [i for i in _spared_ids(tokenizer) if i < vocab_size]
    mask[ids] = True
    return mask


class SparingPenalty:
    """A logits processor: transformers' ``RepetitionPenaltyLogitsProcessor`` over the answer's
    own tokens (the first ``prompt_length`` of each row are the prompt), with number tokens'
    scores put back as they were."""

    def __init__(self, penalty: float, prompt_length: int, tokenizer: Any) -> None:
        from transformers import RepetitionPenaltyLogitsProcessor

        self.inner = RepetitionPenaltyLogitsProcessor(penalty, prompt_ignore_length=prompt_length)
        self.tokenizer = tokenizer
        self.mask: Any = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        penalised = self.inner(input_ids, scores.clone())
        if self.mask is None or self.mask.shape[0] != scores.shape[-1]:
            self.mask = spared_mask(self.tokenizer, scores.shape[-1]).to(scores.device)
        return torch.where(self.mask, scores, penalised)
