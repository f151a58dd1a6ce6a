"""Retrieval hit@k: did the sources retrieved for a held-out question carry its facts?

A rag answer can only be right when retrieval handed the model the fact; ROUGE of the answer
mixes that with how well the model reads. Here a question is a hit at k when one of its first
k sources (a pair's question and answer, or a document chunk) holds every one of its curated
``facts``, compared the way the facts evaluator compares them (case and accents folded,
numbers by value: see :mod:`fact_tokens`). Questions without facts are not counted.

Two uses: the evaluation report, from the sources its retrieving assistants were given, and
:func:`measure_index`, which asks a workspace index the questions directly (no model, no
generation), so a retrieval setting is compared in seconds. The questions are asked as the
assistants ask them: k + 1 hits, a stored pair whose prompt is the question itself left out.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from afina.engine.errors import UsageError
from afina.engine.eval.examples import EvalExample
from afina.engine.eval.facts import match_facts
from afina.engine.rag.context import sources_from_hits
from afina.engine.workspace import Workspace


@dataclass(frozen=True)
class Retrieved:
    """One question's facts and the texts of its sources, best first."""

    lang: str
    facts: tuple[str, ...]
    texts: tuple[str, ...]


def holds_facts(text: str, facts: Sequence[str]) -> bool:
    """Whether ``text`` contains every one of ``facts`` (none comparable: False)."""
    m = match_facts(text, facts)
    return m.total > 0 and not m.missing


def first_hit(item: Retrieved) -> int | None:
    """The 1-based rank of the first source that holds all the facts, None if none does."""
    for rank, text in enumerate(item.texts, 1):
        if holds_facts(text, item.facts):
            return rank
    return None


def _rates(ranks: Sequence[int | None], k: int) -> dict[str, Any]:
    n = len(ranks)
    at1 = sum(1 for r in ranks if r == 1)
    atk = sum(1 for r in ranks if r is not None and r <= k)
    return {
        "n": n,
        "hit_at_1": at1 / n if n else None,
        "hit_at_k": atk / n if n else None,
        "hits_at_1": at1,
        "hits_at_k": atk,
    }


def hit_rates(items: Iterable[Retrieved], k: int) -> dict[str, Any]:
    """hit@1 and hit@k overall and per language (items with no language count only
    overall); items without facts are left out."""
    scored = [(i.lang, first_hit(i)) for i in items if i.facts]
    by_lang: dict[str, list[int | None]] = {}
    for lang, rank in scored:
        if lang:
            by_lang.setdefault(lang, []).append(rank)
    return {
        "k": k,
        "overall": _rates([r for _, r in scored], k),
        "by_lang": {lang: _rates(ranks, k) for lang, ranks in sorted(by_lang.items())},
    }


def from_sources(
    examples: Sequence[EvalExample], sources: Sequence[Sequence[Any]], k: int
) -> dict[str, Any] | None:
    """hit@k of the sources an evaluation's assistant was given (one list of source dicts or
    objects with ``text`` per example); None when no example carries facts."""
    if not any(ex.facts for ex in examples):
        return None
    items = [
        Retrieved(ex.lang, ex.facts, tuple(_text(s) for s in found[:k]))
        for ex, found in zip(examples, sources, strict=True)
    ]
    return hit_rates(items, k)


def _text(source: Any) -> str:
    return str(source["text"] if isinstance(source, dict) else source.text)


def measure_index(
    ws: Workspace,
    examples: Sequence[EvalExample],
    *,
    index: str = "default",
    k: int = 3,
    mode: str | None = None,
    embedder: Any = None,
) -> dict[str, Any]:
    """hit@1 and hit@k of the workspace index ``index`` on ``examples`` (with ``mode``: in that
    retrieval mode instead of the one it was built with), and how long the questions took."""
    from afina.engine.rag.workspace_index import open_index

    with_facts = [ex for ex in examples if ex.facts]
    if not with_facts:
        raise UsageError(
            "no example carries facts to look for in the retrieved sources",
            'give held-out questions with "facts": strings a correct answer contains',
        )
    retriever = open_index(ws, index, embedder=embedder)
    if mode is not None:
        if "mode" not in retriever.settings:
            raise UsageError(f"retriever {retriever.name!r} has no retrieval modes")
        retriever.settings = {**retriever.settings, "mode": mode}
    retriever.warm()
    started = time.perf_counter()
    items = []
    for ex in with_facts:
        hits = retriever.query(ex.question, k + 1)
        found = sources_from_hits(hits, exclude_prompt=ex.question)[:k]
        items.append(Retrieved(ex.lang, ex.facts, tuple(s.text for s in found)))
    seconds = time.perf_counter() - started
    return {
        "index": index,
        "mode": retriever.settings.get("mode"),
        "embedder": retriever.info().get("embedder"),
        "entries": retriever.info().get("count"),
        "seconds": round(seconds, 3),
        **hit_rates(items, k),
    }
