"""Batches without wasted compute: pad to the longest in the batch, not to max_length, and
put pairs of similar length together so there is little padding at all.

The order is a pure function of (seed, epoch), so a resumed run sees the same batches as an
uninterrupted one, whatever the global random state was at the time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from afina.engine.training.data import IGNORE, Example


class ExampleDataset:
    """A list of encoded examples in the shape transformers' Trainer expects."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        ex = self.examples[i]
        return {"input_ids": ex.input_ids, "labels": ex.labels}

    def lengths(self) -> list[int]:
        return [len(ex.input_ids) for ex in self.examples]


def collate(features: Sequence[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Right-padded batch. Padding is marked by the attention mask and an ignored label, never
    recognised by token id (SmolLM2's pad token is its end-of-turn token)."""
    import torch

    width = max(len(f["input_ids"]) for f in features)
    ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    labels = torch.full((len(features), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, f in enumerate(features):
        n = len(f["input_ids"])
        ids[row, :n] = torch.tensor(f["input_ids"])
        labels[row, :n] = torch.tensor(f["labels"])
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


class Collator:
    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, features: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        return collate(features, self.pad_id)


class LengthGroupedOrder:
    """Shuffle, cut into chunks of ``batch_size * group`` examples, sort each chunk by length
    and shuffle the batches: batches of similar lengths, still in a random order."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, group: int = 16) -> None:
        self.lengths = list(lengths)
        self.batch_size = max(1, batch_size)
        self.seed = seed
        self.group = group
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        rng = random.Random(self.seed * 100_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        chunk = self.batch_size * self.group
        batches: list[list[int]] = []
        for start in range(0, len(order), chunk):
            part = sorted(order[start : start + chunk], key=lambda i: -self.lengths[i])
            batches += [part[i : i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        # The longest batch first: an out-of-memory error shows at step one, not at hour two.
        longest = max(range(len(batches)), key=lambda b: max(self.lengths[i] for i in batches[b]))
        first = batches.pop(longest)
        rng.shuffle(batches)
        for batch in [first, *batches]:
            yield from batch


def padding_share(lengths: Sequence[int], order: Sequence[int], batch_size: int) -> float:
    """The share of a batch's token slots that would be padding, for preflight."""
    total = real = 0
    for start in range(0, len(order), batch_size):
        batch = [lengths[i] for i in order[start : start + batch_size]]
        total += max(batch) * len(batch)
        real += sum(batch)
    return 1 - real / total if total else 0.0
