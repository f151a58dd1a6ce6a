"""Lexical retrieval: BM25 over accent-folded words, and reciprocal rank fusion with the dense
ranking.

Why beside the dense index: the embedded MiniLM was trained on English, and in Portuguese it
places questions by their shared function words more than by their content, while the words
that decide a support question (a plan's name, "fatura", "cancelamento", a number) are exactly
what BM25 matches. Folding accents and case makes "Serviço" find "servico", which people type
without accents in chats. Numbers are kept as words: "300" finds the 300 Mbps plan.

The statistics are built when an index is opened, from the texts stored beside it (no extra
file to keep in sync, nothing pickled); it takes well under a second for ten thousand entries.
Scoring walks the posting lists of the query's words only, so a query costs in proportion to
how many entries share its words, not to the size of the index.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from afina.engine.text import fold, nfc

RRF_K = 60  # the constant of reciprocal rank fusion: 1 / (RRF_K + rank)
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lowercase, accent-free runs of letters and digits: "Serviço 300-Mbps" -> servico, 300,
    mbps."""
    # Split first, fold each distinct word once: folding whole texts character by character
    # made opening a 10k-entry index take seconds.
    return [_folded(w) for w in _WORD.findall(nfc(text).casefold())]


@functools.lru_cache(maxsize=65536)
def _folded(word: str) -> str:
    return word if word.isascii() else fold(word)


class BM25:
    """Okapi BM25 over a fixed list of texts (k1=1.2, b=0.75, the usual defaults; idf is the
    non-negative form ln(1 + (N - df + .5) / (df + .5)), so a word in most texts still counts a
    little instead of subtracting)."""

    def __init__(self, texts: Iterable[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.lengths: list[int] = []
        self.postings: dict[str, list[tuple[int, int]]] = {}  # word -> [(row, count)]
        for row, text in enumerate(texts):
            counts = Counter(words(text))
            self.lengths.append(sum(counts.values()))
            for word, n in counts.items():
                self.postings.setdefault(word, []).append((row, n))
        self.n = len(self.lengths)
        self.avg_length = (sum(self.lengths) / self.n) if self.n else 0.0
        self.idf = {
            w: math.log(1.0 + (self.n - len(p) + 0.5) / (len(p) + 0.5))
            for w, p in self.postings.items()
        }

    def __len__(self) -> int:
        return self.n

    def scores(self, query: str) -> dict[int, float]:
        """Rows that share a word with ``query``, with their scores (absent rows score 0)."""
        out: dict[int, float] = {}
        avg = self.avg_length or 1.0
        for word, q_count in Counter(words(query)).items():
            idf = self.idf.get(word)
            if idf is None:
                continue
            for row, n in self.postings[word]:
                norm = self.k1 * (1.0 - self.b + self.b * self.lengths[row] / avg)
                out[row] = out.get(row, 0.0) + q_count * idf * n * (self.k1 + 1.0) / (n + norm)
        return out

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best rows for ``query`` as (row, score), best first; ties by row."""
        ranked = sorted(self.scores(query).items(), key=lambda rs: (-rs[1], rs[0]))
        return ranked[:k]


def fuse(rankings: Sequence[Sequence[int]], k: int, rrf_k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each ranking (rows, best first) gives a row 1 / (rrf_k + rank);
    a row in several rankings adds them up, and appears once. The ``k`` best, best first; ties
    go to the row ranked earlier in the first ranking that has it."""
    score: dict[int, float] = {}
    first_seen: dict[int, tuple[int, int]] = {}
    for which, ranking in enumerate(rankings):
        for rank, row in enumerate(ranking, 1):
            score[row] = score.get(row, 0.0) + 1.0 / (rrf_k + rank)
            first_seen.setdefault(row, (which, rank))
    ranked = sorted(score.items(), key=lambda rs: (-rs[1], first_seen[rs[0]]))
    return ranked[:k]
