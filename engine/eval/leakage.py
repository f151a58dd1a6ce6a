"""Leakage: held-out answers that sit nearly word for word in the training data or the index.

A test question whose reference answer is also a training answer (or an indexed passage)
measures memory rather than generalisation, and flatters the fine-tune or RAG. The check is
containment of word 5-grams: the share of the reference's 5-grams found in one candidate
text. An inverted index from 5-gram to text keeps it linear in the data. References shorter
than one 5-gram are compared as whole normalised texts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from afina.engine.eval.metrics import tokens

N = 5
THRESHOLD = 0.8  # share of the reference's 5-grams found in one text


@dataclass(frozen=True)
class Leak:
    example: str
    where: str  # "train" or "index"
    key: str
    similarity: float

    def to_json(self) -> dict[str, object]:
        return {
            "example": self.example,
            "where": self.where,
            "key": self.key,
            "similarity": round(self.similarity, 3),
        }


def _grams(text: str) -> set[tuple[str, ...]]:
    words = tokens(text)
    if len(words) < N:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + N]) for i in range(len(words) - N + 1)}


class _Corpus:
    def __init__(self, where: str, texts: Iterable[tuple[str, str]]) -> None:
        self.where = where
        self.keys: list[str] = []
        self.by_gram: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for key, text in texts:
            row = len(self.keys)
            self.keys.append(key)
            for g in _grams(text):
                self.by_gram[g].append(row)

    def best(self, reference: str) -> tuple[str, float] | None:
        grams = _grams(reference)
        if not grams:
            return None
        hits: Counter[int] = Counter()
        for g in grams:
            hits.update(set(self.by_gram.get(g, ())))
        if not hits:
            return None
        row, shared = hits.most_common(1)[0]
        return self.keys[row], shared / len(grams)


def find_leaks(
    examples: Sequence[tuple[str, str]],
    corpora: Sequence[tuple[str, Iterable[tuple[str, str]]]],
    threshold: float = THRESHOLD,
) -> list[Leak]:
    """``examples``: (id, reference); ``corpora``: (where, [(key, text)]). The closest text
    of each corpus per example, kept when its containment reaches ``threshold``."""
    built = [_Corpus(where, texts) for where, texts in corpora]
    leaks = []
    for ex_id, reference in examples:
        for corpus in built:
            best = corpus.best(reference)
            if best is not None and best[1] >= threshold:
                leaks.append(Leak(ex_id, corpus.where, best[0], best[1]))
    return leaks
