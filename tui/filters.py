"""Curate's queue filters as a reviewer types them (``tag:x rule:urls``) and as rows meet them."""

from __future__ import annotations

from dataclasses import replace

from afina.engine.types import PairFilter, PairRow

_NARROWING = {"tag": "tag", "source": "source_id", "rule": "rule", "split": "split"}


def matches(p: PairRow, where: PairFilter) -> bool:
    """Whether a just-changed pair still belongs in the queue (the filters Curate sets)."""
    if where.status is not None and p.status != where.status:
        return False
    if where.tag is not None and where.tag not in p.tags:
        return False
    if where.search:
        needle = where.search.casefold()
        return needle in p.prompt.casefold() or needle in p.response.casefold()
    return True


def narrowed(where: PairFilter, text: str) -> PairFilter:
    """``where`` with its tag/source/rule/split set from ``key:value`` words (others cleared)."""
    values: dict[str, object] = dict.fromkeys(_NARROWING.values())
    for word in text.split():
        key, sep, value = word.partition(":")
        if not sep or key not in _NARROWING or not value:
            raise ValueError(f"not a filter: {word!r} (use tag:, source:, rule: or split:)")
        if key == "source" and not value.isdigit():
            raise ValueError(f"source: wants a source id, got {value!r}")
        if key == "split" and value not in ("train", "validation", "test"):
            raise ValueError("split: is train, validation or test")
        values[_NARROWING[key]] = int(value) if key == "source" else value
    return replace(where, **values)  # type: ignore[arg-type]


def describe(where: PairFilter) -> str:
    """The ``key:value`` words that :func:`narrowed` reads back into ``where``."""
    return " ".join(
        f"{key}:{getattr(where, attr)}"
        for key, attr in _NARROWING.items()
        if getattr(where, attr) is not None
    )
